// Puts the device's current state into the agent's MIB view before a request is served.
import type { MibView } from '../../protocol/snmp/mib-view.ts';
import type { ManagedDevice } from './managed-device.ts';
import { bankCells, deviceScalarCells } from '../../protocol/safeflash-mib/device-scalars.ts';
import { operationRowCells } from '../../protocol/safeflash-mib/operation-row.ts';
import { rowInColumnOrder, tableOfColumn } from '../../protocol/safeflash-mib/providers.ts';

const bankTable = tableOfColumn('sfBankState');
const opTable = tableOfColumn('sfOpState');

export function refreshView(view: MibView, device: ManagedDevice): void {
  const status = device.status();
  for (const [name, value] of Object.entries(deviceScalarCells(status))) view.setScalar(name, value);
  view.replaceRows(
    bankTable.name,
    status.banks.map((b) => rowInColumnOrder(bankTable, bankCells(b))),
  );
  view.replaceRows(
    opTable.name,
    device.operations().map((op) => rowInColumnOrder(opTable, operationRowCells(op))),
  );
}
