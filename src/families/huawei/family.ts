// Huawei VRP routers, switches and IADs (HUAWEI-FLASH-MAN-MIB, HUAWEI-CONFIG-MAN-MIB, HUAWEI-SYS-MAN-MIB):
// the method's own home. Operations report their end; the device shows its images and which one runs,
// so it can be ordered back to the previous one; its configuration is VRP text with no digest, so a
// restore is checked by backing up again.
import { instanceOf, numberValue } from '../../protocol/snmp/varbind.ts';
import type { Family, FamilyNotification } from '../family.ts';
import { startsWithOid } from '../system-group.ts';
import { configState, failCauseOf, flashStatus, HuaweiDriver } from './driver.ts';
import { configOperateColumns, configResultColumns, flashOperColumns, huaweiNotifications, huaweiProducts } from './objects.ts';
import { vrpConfiguration } from './vrp-config.ts';

export const huaweiFamily: Family = {
  name: 'huawei',
  title: 'Huawei VRP (HUAWEI-FLASH-MAN-MIB, HUAWEI-CONFIG-MAN-MIB, HUAWEI-SYS-MAN-MIB)',
  capabilities: {
    progress: false,
    notifications: true,
    reboot: 'ordered',
    operationsAtOnce: 1,
    operationRows: true,
    configBackup: true,
    configDigest: false,
    revert: true,
    convertsConfig: false,
    stages: false,
  },
  configuration: vrpConfiguration,
  recognises: (system) => startsWithOid(system.sysObjectID, huaweiProducts) && /VRP \(R\) software/.test(system.sysDescr),
  driver: (session) => new HuaweiDriver(session),
  decodeNotification: (notificationOid, varbinds): FamilyNotification | undefined => {
    const find = (oid: string) => varbinds.find((v) => instanceOf(v.oid, oid) !== undefined);
    const ended = (index: number, label: string | undefined): FamilyNotification | undefined => {
      if (!Number.isInteger(index) || !label || label === 'opInProgress') return undefined;
      return label === 'opSuccess'
        ? { kind: 'operationCompleted', index, state: 'successful', failCause: 'none', failMessage: '' }
        : { kind: 'operationCompleted', index, state: 'failed', failCause: failCauseOf(label), failMessage: `the device reports ${label}` };
    };
    try {
      if (notificationOid === huaweiNotifications.hwFlhOperNotification.oid) {
        const status = find(flashOperColumns.hwFlhOperStatus.oid);
        return status && ended(Number(instanceOf(status.oid, flashOperColumns.hwFlhOperStatus.oid)), flashStatus.label(numberValue(status)));
      }
      if (notificationOid === huaweiNotifications.hwCfgOperateCompletion.oid) {
        // The request's index is on hwCfgOperateType; the state is the result's.
        const type = find(configOperateColumns.hwCfgOperateType.oid);
        const state = find(configResultColumns.hwCfgOperateState.oid);
        return type && state && ended(Number(instanceOf(type.oid, configOperateColumns.hwCfgOperateType.oid)), configState.label(numberValue(state)));
      }
    } catch {
      // A value of the wrong type: not a notification to act on.
    }
    return undefined;
  },
};
