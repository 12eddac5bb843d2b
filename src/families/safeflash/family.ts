// The reference IAD's family: SAFEFLASH-MIB (mib/SAFEFLASH-MIB.txt), whose codecs both the agent and this
// driver use (src/protocol/safeflash-mib/). It does every step of the method itself: an operation row
// per order, progress and completion notifications, two banks, a configuration digest.
import { oid } from '../../protocol/mib.ts';
import { decodeDeviceReading, deviceReadingOids } from '../../protocol/safeflash-mib/device-scalars.ts';
import { decodeNotification } from '../../protocol/safeflash-mib/notifications.ts';
import { decodeOperationReading, operationReadingOids, orderVarbinds } from '../../protocol/safeflash-mib/operation-row.ts';
import type { Family, FamilyNotification } from '../family.ts';
import { startsWithOid } from '../system-group.ts';

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
  },
  recognises: (system) => startsWithOid(system.sysObjectID, safeflashObjectId),
  driver: (session) => ({
    read: async () => decodeDeviceReading(await session.get(deviceReadingOids())),
    startOperation: async (index, order) => {
      await session.set(orderVarbinds(index, order));
    },
    readOperation: async (index) => decodeOperationReading(index, await session.get(operationReadingOids(index))),
  }),
  decodeNotification: (notificationOid, varbinds): FamilyNotification | undefined => {
    const decoded = decodeNotification(notificationOid, varbinds);
    if (decoded?.kind !== 'bootCompleted') return decoded;
    return { kind: 'bootCompleted', runningVersion: decoded.runningVersion, activeBank: decoded.activeBank, lastBootCause: decoded.lastBootCause };
  },
};
