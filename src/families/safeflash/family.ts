// The reference IAD's family: SAFEFLASH-MIB (mib/SAFEFLASH-MIB.txt), whose codecs both the agent and this
// driver use (src/protocol/safeflash-mib/). It does every step of the method itself: an operation row
// per order, progress and completion notifications, two banks, a configuration digest.
import { oid } from '../../protocol/mib.ts';
import { conditionOids, decodeCondition, decodeDeviceReading, deviceReadingOids } from '../../protocol/safeflash-mib/device-scalars.ts';
import { decodeNotification } from '../../protocol/safeflash-mib/notifications.ts';
import { decodeOperationReading, operationReadingOids, orderVarbinds } from '../../protocol/safeflash-mib/operation-row.ts';
import type { Family, FamilyNotification } from '../family.ts';
import { startsWithOid } from '../system-group.ts';
import { readPorts } from '../condition.ts';
import { enums, label } from '../../protocol/safeflash-mib/cells.ts';
import type { DeviceSession } from '../family.ts';
import { instanceOf } from '../../protocol/snmp/varbind.ts';

/** The MIB module's own OID: what the reference IAD answers as its sysObjectID. */
export const safeflashObjectId = oid('safeflashMIB');

export const safeflashFamily: Family = {
  name: 'safeflash',
  title: 'Safeflash reference IAD (SAFEFLASH-MIB)',
  capabilities: {
    progress: true,
    notifications: true,
    reboot: 'ordered',
    operationsAtOnce: 1,
    operationRows: true,
    configBackup: true,
    configDigest: true,
    revert: true,
    convertsConfig: true,
    stages: true,
  },
  recognises: (system) => startsWithOid(system.sysObjectID, safeflashObjectId),
  driver: (session) => ({
    read: async () => decodeDeviceReading(await session.get(deviceReadingOids())),
    startOperation: async (index, order) => {
      await session.set(orderVarbinds(index, order));
    },
    readOperation: async (index) => decodeOperationReading(index, await session.get(operationReadingOids(index))),
    readCondition: async () => {
      const [condition, ports, operationInProgress] = await Promise.all([
        session.get(conditionOids()).then(decodeCondition),
        readPorts(session),
        unfinishedOperation(session),
      ]);
      return { ...condition, ports, operationInProgress };
    },
  }),
  decodeNotification: (notificationOid, varbinds): FamilyNotification | undefined => {
    const decoded = decodeNotification(notificationOid, varbinds);
    if (decoded?.kind !== 'bootCompleted') return decoded;
    return { kind: 'bootCompleted', runningVersion: decoded.runningVersion, activeBank: decoded.activeBank, lastBootCause: decoded.lastBootCause };
  },
};

/** The operation row the device has not finished ("restoreConfig #12"), or '' when every row has ended. */
async function unfinishedOperation(session: DeviceSession): Promise<string> {
  const column = oid('sfOpState');
  for (const cell of await session.walk(column)) {
    const state = label(enums.opState, cell);
    if (state !== 'waiting' && state !== 'running') continue;
    const index = instanceOf(cell.oid, column) ?? '';
    const [type] = await session.get([`${oid('sfOpType')}.${index}`]);
    return `${type ? label(enums.opType, type) : 'operation'} #${index}`;
  }
  return '';
}
