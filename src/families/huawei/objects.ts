// Huawei VRP's objects for the method: the one table the driver and the personality take their numbers
// from. Facts read from HUAWEI-FLASH-MAN-MIB (2021-12-17), HUAWEI-CONFIG-MAN-MIB (2017-08-02),
// HUAWEI-SYS-MAN-MIB (2017-08-17) and HUAWEI-MIB (2019-01-16), as Huawei publishes them. The two
// operation tables number their protocols and states differently: each keeps its own enumeration.
import type { ObjectFact } from '../../protocol/snmp/object-table.ts';

const flashMib = 'HUAWEI-FLASH-MAN-MIB (2021-12-17)';
const configMib = 'HUAWEI-CONFIG-MAN-MIB (2017-08-02)';
const sysMib = 'HUAWEI-SYS-MAN-MIB (2017-08-17)';
const rowStatus = { active: 1, notInService: 2, notReady: 3, createAndGo: 4, createAndWait: 5, destroy: 6 } as const;
const truthValue = { true: 1, false: 2 } as const;

/** hwProducts (huawei 2): where Huawei devices' sysObjectIDs are assigned (HUAWEI-MIB). */
export const huaweiProducts = '1.3.6.1.4.1.2011.2';

const flashEntry = '1.3.6.1.4.1.2011.6.9.1.2.1.1';
/** huaweiFlhOpEntry (the hwFlhOper columns): a file copied into flash, or out of it. */
export const flashOperEntry = { name: 'huaweiFlhOpEntry', oid: flashEntry } as const;
export const flashOperColumns = {
  hwFlhOperIndex: { oid: `${flashEntry}.1`, syntax: 'Integer', access: 'not-accessible', source: flashMib },
  hwFlhOperType: {
    oid: `${flashEntry}.2`,
    syntax: 'Integer',
    access: 'read-create',
    values: { net2FlashWithErase: 1, net2FlashWithoutErase: 2, flash2Net: 3, delete: 4 },
    source: flashMib,
  },
  hwFlhOperProtocol: { oid: `${flashEntry}.3`, syntax: 'Integer', access: 'read-create', values: { ftp: 1, sftp: 2, tftp: 3 }, source: flashMib },
  hwFlhOperServerAddress: { oid: `${flashEntry}.4`, syntax: 'IpAddress', access: 'read-create', source: flashMib },
  hwFlhOperServerUser: { oid: `${flashEntry}.5`, syntax: 'OctetString', access: 'read-create', source: flashMib },
  hwFlhOperPassword: { oid: `${flashEntry}.6`, syntax: 'OctetString', access: 'read-create', source: flashMib },
  hwFlhOperSourceFile: { oid: `${flashEntry}.7`, syntax: 'OctetString', access: 'read-create', source: flashMib },
  hwFlhOperDestinationFile: { oid: `${flashEntry}.8`, syntax: 'OctetString', access: 'read-create', source: flashMib },
  hwFlhOperStatus: {
    oid: `${flashEntry}.9`,
    syntax: 'Integer',
    access: 'read-only',
    values: {
      opInProgress: 1,
      opSuccess: 2,
      opInvalid: 3,
      opInvalidProtocol: 4,
      opInvalidSourceName: 5,
      opInvalidDestName: 6,
      opInvalidServerAddress: 7,
      opDeviceBusy: 8,
      opDeviceOpenError: 9,
      opDeviceError: 10,
      opDeviceNotProgrammable: 11,
      opDeviceFull: 12,
      opFileOpenError: 13,
      opFileTransferError: 14,
      opFileChecksumError: 15,
      opNoMemory: 16,
      opAuthFail: 17,
      opUnknownFailure: 18,
      opAbort: 19,
      opInvalidSourceAddress: 20,
      opInvalidSourceInterface: 21,
      opCurrentVersionFileConfilt: 22,
    },
    source: flashMib,
  },
  hwFlhOperEndNotification: { oid: `${flashEntry}.10`, syntax: 'Integer', access: 'read-create', values: truthValue, source: flashMib },
  /** A stopwatch of the operation, not a share. */
  hwFlhOperProgress: { oid: `${flashEntry}.11`, syntax: 'TimeTicks', access: 'read-only', source: flashMib },
  hwFlhOperRowStatus: { oid: `${flashEntry}.12`, syntax: 'Integer', access: 'read-create', values: rowStatus, source: flashMib },
  hwFlhOperServerPort: { oid: `${flashEntry}.13`, syntax: 'Integer', access: 'read-create', source: flashMib },
  /** Percent. */
  hwFlhOperTransferProgress: { oid: `${flashEntry}.19`, syntax: 'Integer', access: 'read-only', source: flashMib },
  hwFlhOperErrorReason: { oid: `${flashEntry}.20`, syntax: 'OctetString', access: 'read-only', source: flashMib },
} as const satisfies Record<string, ObjectFact>;

const operateEntry = '1.3.6.1.4.1.2011.6.10.1.2.4.1';
/** hwCfgOperateEntry: a configuration copied between running, startup and the network. */
export const configOperateEntry = { name: 'hwCfgOperateEntry', oid: operateEntry } as const;
const configOperationType = { running2Startup: 1, startup2Running: 2, running2Net: 3, net2Running: 4, net2Startup: 5, startup2Net: 6 } as const;
export const configOperateColumns = {
  hwCfgOperateIndex: { oid: `${operateEntry}.1`, syntax: 'Integer', access: 'not-accessible', source: configMib },
  hwCfgOperateType: { oid: `${operateEntry}.2`, syntax: 'Integer', access: 'read-create', values: configOperationType, source: configMib },
  hwCfgOperateProtocol: { oid: `${operateEntry}.3`, syntax: 'Integer', access: 'read-create', values: { ftp: 1, tftp: 2, sftp: 3 }, source: configMib },
  hwCfgOperateFileName: { oid: `${operateEntry}.4`, syntax: 'OctetString', access: 'read-create', source: configMib },
  hwCfgOperateServerAddress: { oid: `${operateEntry}.5`, syntax: 'IpAddress', access: 'read-create', source: configMib },
  hwCfgOperateUserName: { oid: `${operateEntry}.6`, syntax: 'OctetString', access: 'read-create', source: configMib },
  /** Reads back empty. */
  hwCfgOperateUserPassword: { oid: `${operateEntry}.7`, syntax: 'OctetString', access: 'read-create', source: configMib },
  hwCfgOperateEndNotificationSwitch: { oid: `${operateEntry}.8`, syntax: 'Integer', access: 'read-create', values: truthValue, source: configMib },
  hwCfgOperateRowStatus: { oid: `${operateEntry}.9`, syntax: 'Integer', access: 'read-create', values: rowStatus, source: configMib },
  hwCfgOperateServerPort: { oid: `${operateEntry}.10`, syntax: 'Integer', access: 'read-create', source: configMib },
} as const satisfies Record<string, ObjectFact>;

const resultEntry = '1.3.6.1.4.1.2011.6.10.1.2.5.1';
/** hwCfgOperateResultEntry: how a configuration operation went, under an index of the device's own. */
export const configResultEntry = { name: 'hwCfgOperateResultEntry', oid: resultEntry } as const;
export const configResultColumns = {
  hwCfgOperateResultIndex: { oid: `${resultEntry}.1`, syntax: 'Integer', access: 'not-accessible', source: configMib },
  /** The hwCfgOperateIndex of the request the result is of. */
  hwCfgOperateResultOptIndex: { oid: `${resultEntry}.2`, syntax: 'Integer', access: 'read-only', source: configMib },
  hwCfgOperateResultOpType: { oid: `${resultEntry}.3`, syntax: 'Integer', access: 'read-only', values: configOperationType, source: configMib },
  hwCfgOperateState: {
    oid: `${resultEntry}.4`,
    syntax: 'Integer',
    access: 'read-only',
    values: {
      opInProgress: 1,
      opSuccess: 2,
      opInvalidOperation: 3,
      opInvalidProtocol: 4,
      opInvalidSourceName: 5,
      opInvalidDestName: 6,
      opInvalidServerAddress: 7,
      opDeviceBusy: 8,
      opDeviceOpenError: 9,
      opDeviceError: 10,
      opDeviceNotProgrammable: 11,
      opDeviceFull: 12,
      opFileOpenError: 13,
      opFileTransferError: 14,
      opFileChecksumError: 15,
      opNoMemory: 16,
      opAuthFail: 17,
      opTimeOut: 18,
      opUnknownFailure: 19,
      opAbort: 20,
      opInvalidSourceAddress: 21,
      opInvalidSourceInterface: 22,
      opCmdExecuteFail: 23,
    },
    source: configMib,
  },
  hwCfgOperateTime: { oid: `${resultEntry}.5`, syntax: 'TimeTicks', access: 'read-only', source: configMib },
  hwCfgOperateEndTime: { oid: `${resultEntry}.6`, syntax: 'TimeTicks', access: 'read-only', source: configMib },
  /** Percent; 65535 where it cannot be told (TFTP). */
  hwCfgOperateTransferProgress: { oid: `${resultEntry}.7`, syntax: 'Integer', access: 'read-only', source: configMib },
  hwCfgOperateErrorReason: { oid: `${resultEntry}.8`, syntax: 'OctetString', access: 'read-only', source: configMib },
} as const satisfies Record<string, ObjectFact>;

const currentEntry = '1.3.6.1.4.1.2011.5.25.19.1.2.1.1';
/** hwSysCurEntry: what the system (row 1, the main board) runs now. */
export const currentEntryOf = { name: 'hwSysCurEntry', oid: currentEntry } as const;
export const currentColumns = {
  hwSysCurEntPhysicalIndex: { oid: `${currentEntry}.1`, syntax: 'Integer', access: 'not-accessible', source: sysMib },
  hwSysCurImageIndex: { oid: `${currentEntry}.3`, syntax: 'Integer', access: 'read-only', source: sysMib },
} as const satisfies Record<string, ObjectFact>;
export const mainBoard = 1;

const imageEntry = '1.3.6.1.4.1.2011.5.25.19.1.4.2.1';
/** hwSysImageEntry: the system images in flash. */
export const imageEntryOf = { name: 'hwSysImageEntry', oid: imageEntry } as const;
export const imageColumns = {
  hwSysImageIndex: { oid: `${imageEntry}.1`, syntax: 'Integer', access: 'not-accessible', source: sysMib },
  hwSysImageName: { oid: `${imageEntry}.2`, syntax: 'OctetString', access: 'read-only', source: sysMib },
  hwSysImageVersion: { oid: `${imageEntry}.5`, syntax: 'OctetString', access: 'read-only', source: sysMib },
} as const satisfies Record<string, ObjectFact>;

const scheduleEntry = '1.3.6.1.4.1.2011.5.25.19.1.3.3.1';
/** hwSysReloadScheduleEntry: a restart, with the image (hwSysImageIndex) the system boots from. */
export const reloadScheduleEntry = { name: 'hwSysReloadScheduleEntry', oid: scheduleEntry } as const;
export const reloadScheduleColumns = {
  hwSysReloadScheduleIndex: { oid: `${scheduleEntry}.1`, syntax: 'Integer', access: 'not-accessible', source: sysMib },
  hwSysReloadImage: { oid: `${scheduleEntry}.4`, syntax: 'Integer', access: 'read-create', source: sysMib },
  hwSysReloadReason: { oid: `${scheduleEntry}.5`, syntax: 'OctetString', access: 'read-create', source: sysMib },
  hwSysReloadRowStatus: { oid: `${scheduleEntry}.7`, syntax: 'Integer', access: 'read-create', values: rowStatus, source: sysMib },
} as const satisfies Record<string, ObjectFact>;

/** Scalars (instance .0). reloadAtOnce restarts now, by the schedule row; it reads reloadUnavailable when no restart is pending. */
export const reloadObjects = {
  hwSysReloadAction: {
    oid: '1.3.6.1.4.1.2011.5.25.19.1.3.2',
    syntax: 'Integer',
    access: 'read-write',
    values: { reloadUnavailable: 1, reloadOnSchedule: 2, reloadAtOnce: 3, reloadCancel: 4 },
    source: sysMib,
  },
} as const satisfies Record<string, ObjectFact>;

export const huaweiNotifications = {
  /** OBJECTS: hwFlhOperStatus. */
  hwFlhOperNotification: { oid: '1.3.6.1.4.1.2011.6.9.1.3.1', source: flashMib },
  /** OBJECTS: hwCfgOperateType (the request's index), hwCfgOperateTime, hwCfgOperateState, hwCfgOperateEndTime (the result's). */
  hwCfgOperateCompletion: { oid: '1.3.6.1.4.1.2011.6.10.2.2', source: configMib },
} as const;

/** Illustrative: a product arc under hwProducts for the virtual router; real ones name Huawei's product lines. */
export const virtualVrpObjectId = `${huaweiProducts}.224.9999`;
