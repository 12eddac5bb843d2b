// The manager's side of a Cisco IOS router: a configuration backup or restore is a ccCopyTable row, a
// software download a ciscoFlashCopyTable row, both created under the manager's operation index with
// createAndGo in one SET; a reload is tsMsgSend, its message naming the operation. What runs is read
// from sysDescr and the chassis's ENTITY-MIB row. IOS reports no configuration digest: a restore is
// checked by backing up again (the procedure does).
import { addressOctets } from '../../protocol/ip-address.ts';
import type { OperationOrder, OperationReading } from '../../protocol/safeflash-mib/operation-row.ts';
import { SnmpError } from '../../protocol/snmp/errors.ts';
import { labelsOf } from '../../protocol/snmp/object-table.ts';
import { systemObjects } from '../../protocol/snmp/system-group.ts';
import { bufferValue, integer, isException, numberValue, octets, type Varbind } from '../../protocol/snmp/varbind.ts';
import type { FailCause, OperationType } from '../../protocol/vocabulary.ts';
import { type DeviceReading, type DeviceSession, type FamilyDriver, UnsupportedOrder, type DeviceCondition } from '../family.ts';
import { ccCopyColumns as copy, chassisRow, entPhysicalColumns as entity, flashCopyColumns as flash, reloadObjects } from './objects.ts';
import { portsOnly } from '../condition.ts';

export const copyState = labelsOf('ccCopyState', copy.ccCopyState);
export const copyFailCause = labelsOf('ccCopyFailCause', copy.ccCopyFailCause);
export const flashStatus = labelsOf('ciscoFlashCopyStatus', flash.ciscoFlashCopyStatus);
const fileType = labelsOf('ConfigFileType', copy.ccCopySourceFileType);
const rowStatus = labelsOf('RowStatus', copy.ccCopyEntryRowStatus);
const truth = labelsOf('TruthValue', copy.ccCopyNotificationOnCompletion);
const inetType = labelsOf('InetAddressType', copy.ccCopyServerAddressType);
const msgSend = labelsOf('tsMsgSend', reloadObjects.tsMsgSend);

/** "Cisco IOS Software, C2900 Software (C2900-UNIVERSALK9-M), Version 15.2(4)M7, RELEASE SOFTWARE (fc2)". */
const iosVersion = /Version ([^,\s]+)/;

export class CiscoIosDriver implements FamilyDriver {
  constructor(private readonly session: DeviceSession) {}

  /** Its ports (IF-MIB); its vendor objects tell nothing of calls, lines, alarms or bank room that the checks use. */
  readCondition(): Promise<DeviceCondition> {
    return portsOnly(this.session);
  }

  async read(): Promise<DeviceReading> {
    const [descr, model, serial] = await this.session.get([
      `${systemObjects.sysDescr.oid}.0`,
      `${entity.entPhysicalModelName.oid}.${chassisRow}`,
      `${entity.entPhysicalSerialNum.oid}.${chassisRow}`,
    ]);
    const version = descr && !isException(descr) ? iosVersion.exec(text(descr))?.[1] : undefined;
    if (!version) throw new SnmpError('invalidResponse', 'the sysDescr names no IOS version: not a Cisco IOS router');
    return {
      model: model && !isException(model) ? text(model) : '',
      serial: serial && !isException(serial) ? text(serial) : '',
      runningVersion: version,
      // IOS shows neither banks nor a digest of its configuration here: what runs is told by its version.
      previousVersion: '',
      activeBank: null,
      nextBootBank: null,
      configFormat: null,
      configDigest: null,
      rebootRequired: true,
      lastBootCause: null,
      banks: [],
    };
  }

  async startOperation(index: number, order: OperationOrder): Promise<void> {
    if (order.type === 'revertSoftware')
      throw new UnsupportedOrder('going back to the previous IOS image needs a boot system change, which this driver does not order');
    if (order.type === 'reboot') {
      // The message names the operation: the router takes a repeated order as the same reload.
      await this.session.set([
        octets(`${reloadObjects.tsMsgText.oid}.0`, `Reload ordered by the upgrade manager (operation ${index})`),
        integer(`${reloadObjects.tsMsgSend.oid}.0`, msgSend.number('reload')),
      ]);
      return;
    }
    // The same order again (a replayed step): the row is there, created by the first.
    if ((await this.#row(index, order.type)) !== undefined) return;
    if (order.protocol !== undefined && order.protocol !== 'tftp' && order.protocol !== 'ftp')
      throw new UnsupportedOrder(`IOS copies over tftp or ftp, not ${order.protocol}`);
    const server = order.server && addressOctets(order.server.address);
    if (!server || !order.fileName) throw new UnsupportedOrder('a copy needs a server address and a file name');
    const ftp = order.protocol === 'ftp';
    const at = (column: { oid: string }) => `${column.oid}.${index}`;
    if (order.type === 'downloadSoftware') {
      await this.session.set([
        integer(at(flash.ciscoFlashCopyCommand), labelsOf('command', flash.ciscoFlashCopyCommand).number('copyToFlashWithoutErase')),
        integer(at(flash.ciscoFlashCopyProtocol), labelsOf('protocol', flash.ciscoFlashCopyProtocol).number(ftp ? 'ftp' : 'tftp')),
        integer(at(flash.ciscoFlashCopyServerAddrType), inetType.number(server.length === 4 ? 'ipv4' : 'ipv6')),
        octets(at(flash.ciscoFlashCopyServerAddrRev1), server),
        octets(at(flash.ciscoFlashCopySourceName), order.fileName),
        ...(ftp
          ? [octets(at(flash.ciscoFlashCopyRemoteUserName), order.username ?? ''), octets(at(flash.ciscoFlashCopyRemotePassword), order.password ?? '')]
          : []),
        integer(at(flash.ciscoFlashCopyNotifyOnCompletion), truth.number('true')),
        integer(at(flash.ciscoFlashCopyEntryStatus), rowStatus.number('createAndGo')),
      ]);
      return;
    }
    const backup = order.type === 'backupConfig';
    await this.session.set([
      integer(at(copy.ccCopyProtocol), labelsOf('protocol', copy.ccCopyProtocol).number(ftp ? 'ftp' : 'tftp')),
      integer(at(copy.ccCopySourceFileType), fileType.number(backup ? 'runningConfig' : 'networkFile')),
      integer(at(copy.ccCopyDestFileType), fileType.number(backup ? 'networkFile' : 'runningConfig')),
      integer(at(copy.ccCopyServerAddressType), inetType.number(server.length === 4 ? 'ipv4' : 'ipv6')),
      octets(at(copy.ccCopyServerAddressRev1), server),
      octets(at(copy.ccCopyFileName), order.fileName),
      ...(ftp ? [octets(at(copy.ccCopyUserName), order.username ?? ''), octets(at(copy.ccCopyUserPassword), order.password ?? '')] : []),
      integer(at(copy.ccCopyNotificationOnCompletion), truth.number('true')),
      integer(at(copy.ccCopyEntryRowStatus), rowStatus.number('createAndGo')),
    ]);
  }

  async readOperation(index: number, type: OperationType): Promise<OperationReading | undefined> {
    if (type === 'reboot') {
      // tsMsgSend reads reload while the reload is under way; the router is silent while it restarts.
      const [send] = await this.session.get([`${reloadObjects.tsMsgSend.oid}.0`]);
      const reloading = send && !isException(send) && msgSend.label(numberValue(send)) === 'reload';
      return { index, type, state: reloading ? 'running' : 'successful', progress: reloading ? 0 : 100, failCause: 'none', failMessage: '' };
    }
    return this.#row(index, type);
  }

  /** A copy row as the procedure reads it; undefined when the router has no such row (it restarted since, or it aged out). */
  async #row(index: number, type: OperationType): Promise<OperationReading | undefined> {
    const reading = { index, type, progress: 0, failMessage: '' };
    if (type === 'downloadSoftware') {
      const [status] = await this.session.get([`${flash.ciscoFlashCopyStatus.oid}.${index}`]);
      if (!status || isException(status)) return undefined;
      const label = flashStatus.label(numberValue(status)) ?? 'copyUnknownFailure';
      if (label === 'copyOperationPending') return { ...reading, state: 'waiting', failCause: 'none' };
      if (label === 'copyInProgress') return { ...reading, state: 'running', failCause: 'none' };
      if (label === 'copyOperationSuccess') return { ...reading, state: 'successful', progress: 100, failCause: 'none' };
      return { ...reading, state: 'failed', failCause: failCauseOfFlash(label), failMessage: `the router reports ${label}` };
    }
    if (type !== 'backupConfig' && type !== 'restoreConfig') return undefined;
    const [state, cause] = await this.session.get([`${copy.ccCopyState.oid}.${index}`, `${copy.ccCopyFailCause.oid}.${index}`]);
    if (!state || isException(state)) return undefined;
    const label = copyState.label(numberValue(state)) ?? 'failed';
    if (label !== 'failed') return { ...reading, state: label, progress: label === 'successful' ? 100 : 0, failCause: 'none' };
    const why = cause && !isException(cause) ? (copyFailCause.label(numberValue(cause)) ?? 'unknown') : 'unknown';
    return { ...reading, state: 'failed', failCause: failCauseOfCopy(why), failMessage: `the router reports ${why}` };
  }
}

/** ConfigCopyFailCause in the procedure's words. */
export function failCauseOfCopy(cause: string): FailCause {
  const causes: Record<string, FailCause> = {
    badFileName: 'fileNotFound',
    timeout: 'transferTimeout',
    noMem: 'tooLarge',
    unsupportedProtocol: 'protocolError',
    someConfigApplyFailed: 'configInvalid',
    systemNotReady: 'busy',
    requestAborted: 'aborted',
  };
  return causes[cause] ?? 'unknown';
}

/** ciscoFlashCopyStatus's failures in the procedure's words. */
export function failCauseOfFlash(status: string): FailCause {
  const causes: Record<string, FailCause> = {
    copyFileTransferError: 'transferTimeout',
    copyInvalidSourceName: 'fileNotFound',
    copyFileOpenError: 'fileNotFound',
    copyFileChecksumError: 'imageCorrupt',
    copyInvalidSignature: 'imageBadSignature',
    copyDeviceError: 'writeFailed',
    copyDeviceNotProgrammable: 'writeFailed',
    copyDeviceFull: 'tooLarge',
    copyDeviceBusy: 'busy',
    copyInvalidOperation: 'protocolError',
    copyInvalidProtocol: 'protocolError',
  };
  return causes[status] ?? 'unknown';
}

function text(varbind: Varbind): string {
  return bufferValue(varbind).toString('utf8');
}
