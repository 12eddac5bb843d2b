// Cisco IOS routers (CISCO-CONFIG-COPY-MIB, CISCO-FLASH-MIB, OLD-CISCO-TS-MIB). Copies report their end
// (and no progress); the router holds its configuration as IOS text and reports no digest of it, so a
// restore is checked by backing up again; a reload is ordered; going back to the previous image would
// take a boot system change, which is not ordered (the router falls back by itself when an image does not start).
import { instanceOf, numberValue } from '../../protocol/snmp/varbind.ts';
import type { Family, FamilyNotification } from '../family.ts';
import { startsWithOid } from '../system-group.ts';
import { copyFailCause, copyState, failCauseOfCopy, failCauseOfFlash, CiscoIosDriver, flashStatus } from './driver.ts';
import { iosConfiguration } from './ios-config.ts';
import { ccCopyColumns, ciscoNotifications, ciscoProducts, flashCopyColumns } from './objects.ts';

export const ciscoIosFamily: Family = {
  name: 'cisco-ios',
  title: 'Cisco IOS router (CISCO-CONFIG-COPY-MIB, CISCO-FLASH-MIB)',
  capabilities: {
    progress: false,
    notifications: true,
    reboot: 'ordered',
    operationsAtOnce: 1,
    operationRows: true,
    configBackup: true,
    configDigest: false,
    revert: false,
    convertsConfig: false,
    stages: false,
  },
  configuration: iosConfiguration,
  recognises: (system) => startsWithOid(system.sysObjectID, ciscoProducts) && /Cisco IOS Software/.test(system.sysDescr),
  driver: (session) => new CiscoIosDriver(session),
  decodeNotification: (notificationOid, varbinds): FamilyNotification | undefined => {
    try {
      const find = (oid: string) => varbinds.find((v) => instanceOf(v.oid, oid) !== undefined);
      if (notificationOid === ciscoNotifications.ccCopyCompletion.oid) {
        const state = find(ccCopyColumns.ccCopyState.oid);
        const label = state && copyState.label(numberValue(state));
        if (!state || !label) return undefined;
        const cause = find(ccCopyColumns.ccCopyFailCause.oid);
        const why = cause ? (copyFailCause.label(numberValue(cause)) ?? 'unknown') : 'unknown';
        const index = Number(instanceOf(state.oid, ccCopyColumns.ccCopyState.oid));
        return label === 'failed'
          ? { kind: 'operationCompleted', index, state: 'failed', failCause: failCauseOfCopy(why), failMessage: `the router reports ${why}` }
          : { kind: 'operationCompleted', index, state: label, failCause: 'none', failMessage: '' };
      }
      if (notificationOid === ciscoNotifications.ciscoFlashCopyCompletionTrap.oid) {
        const status = find(flashCopyColumns.ciscoFlashCopyStatus.oid);
        const label = status && flashStatus.label(numberValue(status));
        if (!status || !label) return undefined;
        const index = Number(instanceOf(status.oid, flashCopyColumns.ciscoFlashCopyStatus.oid));
        return label === 'copyOperationSuccess'
          ? { kind: 'operationCompleted', index, state: 'successful', failCause: 'none', failMessage: '' }
          : { kind: 'operationCompleted', index, state: 'failed', failCause: failCauseOfFlash(label), failMessage: `the router reports ${label}` };
      }
    } catch {
      // A value of the wrong type: not a notification to act on.
    }
    return undefined;
  },
};
