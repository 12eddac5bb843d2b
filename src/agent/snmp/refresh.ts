// Puts the device's current state into the agent's MIB view before a request is served.
import type { MibView } from '../../protocol/snmp/mib-view.ts';
import type { ManagedDevice } from './managed-device.ts';
import { rowInColumnOrder, tableOfColumn } from './providers.ts';
import { bankCells, deviceScalars, operationCells } from './values.ts';

const bankTable = tableOfColumn('sfBankState');
const opTable = tableOfColumn('sfOpState');

export function refreshView(view: MibView, device: ManagedDevice): void {
  const status = device.status();
  for (const [name, value] of Object.entries(deviceScalars(status))) view.setScalar(name, value);
  view.replaceRows(bankTable.name, status.banks.map((b) => rowInColumnOrder(bankTable, bankCells(b))));
  view.replaceRows(opTable.name, device.operations().map((op) => rowInColumnOrder(opTable, operationCells(op))));
}
