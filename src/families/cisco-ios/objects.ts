// Cisco IOS's objects for the method: the one table the driver and the personality take their numbers
// from. Facts read from CISCO-CONFIG-COPY-MIB (revision 2009-02-27), CISCO-FLASH-MIB (revision
// 2018-08-14), OLD-CISCO-TS-MIB (1994) and CISCO-SMI (2016-01-15), as Cisco publishes them. The chassis
// (ENTITY-MIB) and the start traps (SNMPv2-MIB) are the standards' (src/protocol/snmp/entity-group.ts).
import type { ObjectFact } from '../../protocol/snmp/object-table.ts';

const configCopy = 'CISCO-CONFIG-COPY-MIB (2009-02-27)';
const flash = 'CISCO-FLASH-MIB (2018-08-14)';
const ts = 'OLD-CISCO-TS-MIB (1994)';
const copyEntry = '1.3.6.1.4.1.9.9.96.1.1.1.1';
const flashEntry = '1.3.6.1.4.1.9.9.10.1.2.1.1';

const inetAddressType = { unknown: 0, ipv4: 1, ipv6: 2, ipv4z: 3, ipv6z: 4, dns: 16 } as const;
const rowStatus = { active: 1, notInService: 2, notReady: 3, createAndGo: 4, createAndWait: 5, destroy: 6 } as const;
const truthValue = { true: 1, false: 2 } as const;

/** cisco (enterprises 9) products: where IOS devices' sysObjectIDs are assigned (CISCO-SMI). */
export const ciscoProducts = '1.3.6.1.4.1.9.1';

/** ccCopyEntry: a configuration copy (running or startup configuration to or from a network file). */
export const ccCopyEntry = { name: 'ccCopyEntry', oid: copyEntry } as const;
export const ccCopyColumns = {
  ccCopyIndex: { oid: `${copyEntry}.1`, syntax: 'Gauge', access: 'not-accessible', source: configCopy },
  ccCopyProtocol: { oid: `${copyEntry}.2`, syntax: 'Integer', access: 'read-create', values: { tftp: 1, ftp: 2, rcp: 3, scp: 4, sftp: 5 }, source: configCopy },
  ccCopySourceFileType: {
    oid: `${copyEntry}.3`,
    syntax: 'Integer',
    access: 'read-create',
    values: { networkFile: 1, iosFile: 2, startupConfig: 3, runningConfig: 4, terminal: 5, fabricStartupConfig: 6 },
    source: configCopy,
  },
  ccCopyDestFileType: {
    oid: `${copyEntry}.4`,
    syntax: 'Integer',
    access: 'read-create',
    values: { networkFile: 1, iosFile: 2, startupConfig: 3, runningConfig: 4, terminal: 5, fabricStartupConfig: 6 },
    source: configCopy,
  },
  /** Deprecated (IPv4 only) for the pair below, which it mirrors. */
  ccCopyServerAddress: { oid: `${copyEntry}.5`, syntax: 'IpAddress', access: 'read-create', source: configCopy },
  ccCopyFileName: { oid: `${copyEntry}.6`, syntax: 'OctetString', access: 'read-create', source: configCopy },
  ccCopyUserName: { oid: `${copyEntry}.7`, syntax: 'OctetString', access: 'read-create', source: configCopy },
  /** Reads back empty. */
  ccCopyUserPassword: { oid: `${copyEntry}.8`, syntax: 'OctetString', access: 'read-create', source: configCopy },
  ccCopyNotificationOnCompletion: { oid: `${copyEntry}.9`, syntax: 'Integer', access: 'read-create', values: truthValue, source: configCopy },
  ccCopyState: {
    oid: `${copyEntry}.10`,
    syntax: 'Integer',
    access: 'read-only',
    values: { waiting: 1, running: 2, successful: 3, failed: 4 },
    source: configCopy,
  },
  ccCopyTimeStarted: { oid: `${copyEntry}.11`, syntax: 'TimeTicks', access: 'read-only', source: configCopy },
  ccCopyTimeCompleted: { oid: `${copyEntry}.12`, syntax: 'TimeTicks', access: 'read-only', source: configCopy },
  ccCopyFailCause: {
    oid: `${copyEntry}.13`,
    syntax: 'Integer',
    access: 'read-only',
    values: {
      unknown: 1,
      badFileName: 2,
      timeout: 3,
      noMem: 4,
      noConfig: 5,
      unsupportedProtocol: 6,
      someConfigApplyFailed: 7,
      systemNotReady: 8,
      requestAborted: 9,
    },
    source: configCopy,
  },
  ccCopyEntryRowStatus: { oid: `${copyEntry}.14`, syntax: 'Integer', access: 'read-create', values: rowStatus, source: configCopy },
  ccCopyServerAddressType: { oid: `${copyEntry}.15`, syntax: 'Integer', access: 'read-create', values: inetAddressType, source: configCopy },
  ccCopyServerAddressRev1: { oid: `${copyEntry}.16`, syntax: 'OctetString', access: 'read-create', source: configCopy },
  /** The VRF the server is in; empty (the default) when it is in none. */
  ccCopyVrfName: { oid: `${copyEntry}.17`, syntax: 'OctetString', access: 'read-create', source: configCopy },
} as const satisfies Record<string, ObjectFact>;

/** ciscoFlashCopyEntry: a copy of a file into flash (or out of it). */
export const flashCopyEntry = { name: 'ciscoFlashCopyEntry', oid: flashEntry } as const;
export const flashCopyColumns = {
  ciscoFlashCopySerialNumber: { oid: `${flashEntry}.1`, syntax: 'Integer', access: 'not-accessible', source: flash },
  ciscoFlashCopyCommand: {
    oid: `${flashEntry}.2`,
    syntax: 'Integer',
    access: 'read-create',
    values: { copyToFlashWithErase: 1, copyToFlashWithoutErase: 2, copyFromFlash: 3, copyFromFlhLog: 4 },
    source: flash,
  },
  ciscoFlashCopyProtocol: {
    oid: `${flashEntry}.3`,
    syntax: 'Integer',
    access: 'read-create',
    values: { tftp: 1, rcp: 2, lex: 3, ftp: 4, scp: 5, sftp: 6 },
    source: flash,
  },
  /** Deprecated (IPv4 only) for the pair below. */
  ciscoFlashCopyServerAddress: { oid: `${flashEntry}.4`, syntax: 'IpAddress', access: 'read-create', source: flash },
  ciscoFlashCopySourceName: { oid: `${flashEntry}.5`, syntax: 'OctetString', access: 'read-create', source: flash },
  ciscoFlashCopyDestinationName: { oid: `${flashEntry}.6`, syntax: 'OctetString', access: 'read-create', source: flash },
  ciscoFlashCopyRemoteUserName: { oid: `${flashEntry}.7`, syntax: 'OctetString', access: 'read-create', source: flash },
  ciscoFlashCopyStatus: {
    oid: `${flashEntry}.8`,
    syntax: 'Integer',
    access: 'read-only',
    values: {
      copyOperationPending: 0,
      copyInProgress: 1,
      copyOperationSuccess: 2,
      copyInvalidOperation: 3,
      copyInvalidProtocol: 4,
      copyInvalidSourceName: 5,
      copyInvalidDestName: 6,
      copyInvalidServerAddress: 7,
      copyDeviceBusy: 8,
      copyDeviceOpenError: 9,
      copyDeviceError: 10,
      copyDeviceNotProgrammable: 11,
      copyDeviceFull: 12,
      copyFileOpenError: 13,
      copyFileTransferError: 14,
      copyFileChecksumError: 15,
      copyNoMemory: 16,
      copyUnknownFailure: 17,
      copyInvalidSignature: 18,
      copyProhibited: 19,
    },
    source: flash,
  },
  ciscoFlashCopyNotifyOnCompletion: { oid: `${flashEntry}.9`, syntax: 'Integer', access: 'read-create', values: truthValue, source: flash },
  ciscoFlashCopyTime: { oid: `${flashEntry}.10`, syntax: 'TimeTicks', access: 'read-only', source: flash },
  ciscoFlashCopyEntryStatus: { oid: `${flashEntry}.11`, syntax: 'Integer', access: 'read-create', values: rowStatus, source: flash },
  ciscoFlashCopyVerify: { oid: `${flashEntry}.12`, syntax: 'Integer', access: 'read-create', values: truthValue, source: flash },
  ciscoFlashCopyServerAddrType: { oid: `${flashEntry}.13`, syntax: 'Integer', access: 'read-create', values: inetAddressType, source: flash },
  ciscoFlashCopyServerAddrRev1: { oid: `${flashEntry}.14`, syntax: 'OctetString', access: 'read-create', source: flash },
  /** Reads back empty. */
  ciscoFlashCopyRemotePassword: { oid: `${flashEntry}.15`, syntax: 'OctetString', access: 'read-create', source: flash },
} as const satisfies Record<string, ObjectFact>;

/**
 * Scalars (instance .0): tsMsgSend reload(2) reloads the router once the message in tsMsgText is sent
 * to its terminal lines.
 */
export const reloadObjects = {
  tsMsgText: { oid: '1.3.6.1.4.1.9.2.9.7', syntax: 'OctetString', access: 'read-write', source: ts },
  tsMsgSend: { oid: '1.3.6.1.4.1.9.2.9.9', syntax: 'Integer', access: 'read-write', values: { nothing: 1, reload: 2, messagedone: 3, abort: 4 }, source: ts },
} as const satisfies Record<string, ObjectFact>;

export { chassisRow, entPhysicalColumns, entPhysicalEntry } from '../../protocol/snmp/entity-group.ts';

export const ciscoNotifications = {
  /** OBJECTS: ccCopyServerAddress, ccCopyFileName, ccCopyState, ccCopyTimeStarted, ccCopyTimeCompleted, ccCopyFailCause (only when failed). */
  ccCopyCompletion: { oid: '1.3.6.1.4.1.9.9.96.2.1.1', source: configCopy },
  /** OBJECTS: ciscoFlashCopyStatus. */
  ciscoFlashCopyCompletionTrap: { oid: '1.3.6.1.4.1.9.9.10.1.3.0.1', source: flash },
} as const;

/** Illustrative: a product arc under ciscoProducts for the virtual router; real ones come from CISCO-PRODUCTS-MIB. */
export const virtualRouterObjectId = `${ciscoProducts}.2068`;
