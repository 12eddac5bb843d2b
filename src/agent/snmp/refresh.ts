// Puts the device's current state into the agent's MIB view before a request is served.
import type { MibView } from '../../protocol/snmp/mib-view.ts';
import type { ManagedDevice } from './managed-device.ts';
import { bankCells, deviceScalarCells } from '../../protocol/safeflash-mib/device-scalars.ts';
import { operationRowCells } from '../../protocol/safeflash-mib/operation-row.ts';
import { rowInColumnOrder, tableOfColumn } from '../../protocol/safeflash-mib/providers.ts';

const bankTable = tableOfColumn('sfBankState');
const opTable = tableOfColumn('sfOpState');

/**
 * refreshView for one agent's view, skipped while the device's revision stays where it was at the last
 * refresh (what the view holds is then still what the device reports).
 */
export function viewRefresher(device: ManagedDevice): (view: MibView) => void {
  let seen: number | undefined;
  return (view) => {
    const revision = device.revision;
    if (revision !== undefined && revision === seen) return;
    refreshView(view, device);
    seen = revision;
  };
}

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
