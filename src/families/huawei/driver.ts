// The manager's side of a Huawei VRP device: a software download is a huaweiFlhOpTable net2Flash row, a
// configuration backup or restore a hwCfgOperateTable row (its result read from hwCfgOperateResultTable,
// found by the request's index), each created under the manager's operation index with createAndGo; a
// reboot, and a revert, is a reload schedule row naming the image to boot plus hwSysReloadAction
// reloadAtOnce. The images in flash and the one running (HUAWEI-SYS-MAN-MIB) are the device's two banks.
import type { OperationOrder, OperationReading } from '../../protocol/safeflash-mib/operation-row.ts';
import { chassisRow, entPhysicalColumns as entity } from '../../protocol/snmp/entity-group.ts';
import { SnmpError } from '../../protocol/snmp/errors.ts';
import { labelsOf } from '../../protocol/snmp/object-table.ts';
import { systemObjects } from '../../protocol/snmp/system-group.ts';
import { bufferValue, integer, isException, numberValue, ObjectType, octets, type Varbind } from '../../protocol/snmp/varbind.ts';
import type { Bank, FailCause, OperationType } from '../../protocol/vocabulary.ts';
import { type DeviceReading, type DeviceSession, type FamilyDriver, UnsupportedOrder, type DeviceCondition } from '../family.ts';
import {
  configOperateColumns as operate,
  configResultColumns as result,
  currentColumns,
  flashOperColumns as flash,
  imageColumns,
  mainBoard,
  reloadObjects,
  reloadScheduleColumns as schedule,
} from './objects.ts';
import { portsOnly } from '../condition.ts';

export const flashStatus = labelsOf('hwFlhOperStatus', flash.hwFlhOperStatus);
export const configState = labelsOf('hwCfgOperateState', result.hwCfgOperateState);
const rowStatus = labelsOf('RowStatus', flash.hwFlhOperRowStatus);
const truth = labelsOf('TruthValue', flash.hwFlhOperEndNotification);
const reloadAction = labelsOf('hwSysReloadAction', reloadObjects.hwSysReloadAction);

/** hwSysImageIndex of each bank's image (as the virtual device numbers them: the first and second image in flash). */
const images: Record<Bank, number> = { bankA: 1, bankB: 2 };

/** "VRP (R) software, Version 5.160 (AR2220 V200R009C00SPC500)": the model and the running version. */
const vrpVersion = /VRP \(R\) software, Version \S+ \((\S+) (\S+)\)/;

export class HuaweiDriver implements FamilyDriver {
  constructor(private readonly session: DeviceSession) {}

  /** Its ports (IF-MIB); its vendor objects tell nothing of calls, lines, alarms or bank room that the checks use. */
  readCondition(): Promise<DeviceCondition> {
    return portsOnly(this.session);
  }

  async read(): Promise<DeviceReading> {
    const [descr, serial, current, nameA, versionA, nameB, versionB] = await this.session.get([
      `${systemObjects.sysDescr.oid}.0`,
      `${entity.entPhysicalSerialNum.oid}.${chassisRow}`,
      `${currentColumns.hwSysCurImageIndex.oid}.${mainBoard}`,
      `${imageColumns.hwSysImageName.oid}.${images.bankA}`,
      `${imageColumns.hwSysImageVersion.oid}.${images.bankA}`,
      `${imageColumns.hwSysImageName.oid}.${images.bankB}`,
      `${imageColumns.hwSysImageVersion.oid}.${images.bankB}`,
    ]);
    const described = descr && !isException(descr) ? vrpVersion.exec(text(descr)) : null;
    if (!described || !current || isException(current)) throw new SnmpError('invalidResponse', 'the sysDescr names no VRP version: not a Huawei VRP device');
    const activeBank: Bank = numberValue(current) === images.bankB ? 'bankB' : 'bankA';
    const bank = (which: Bank, name: Varbind | undefined, version: Varbind | undefined) => {
      const present = name !== undefined && !isException(name) && version !== undefined && !isException(version);
      return { bank: which, state: present ? ('valid' as const) : ('empty' as const), version: present ? text(version) : '', configFormat: 0 };
    };
    const banks = [bank('bankA', nameA, versionA), bank('bankB', nameB, versionB)];
    const other = banks.find((b) => b.bank !== activeBank)!;
    return {
      model: described[1]!,
      serial: serial && !isException(serial) ? text(serial) : '',
      runningVersion: described[2]!,
      previousVersion: other.state === 'valid' ? other.version : '',
      activeBank,
      // VRP says which image boots next only in a pending reload: the other one, once it holds new software.
      nextBootBank: activeBank,
      configFormat: null,
      configDigest: null,
      rebootRequired: true,
      lastBootCause: null,
      banks,
    };
  }

  async startOperation(index: number, order: OperationOrder): Promise<void> {
    if (order.type === 'reboot' || order.type === 'revertSoftware') return this.#reload(index, order.type, order.bootBank);
    // The same order again (a replayed step): the row is there, created by the first.
    if ((await this.readOperation(index, order.type)) !== undefined) return;
    const protocol = order.protocol ?? 'tftp';
    if (!order.server || !order.fileName) throw new UnsupportedOrder('a copy needs a server address and a file name');
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(order.server.address)) throw new UnsupportedOrder('these VRP tables name IPv4 servers only');
    const ftp = protocol === 'ftp';
    const at = (column: { oid: string }) => `${column.oid}.${index}`;
    const ip = (oid: string): Varbind => ({ oid, type: ObjectType.IpAddress, value: order.server!.address });
    if (order.type === 'downloadSoftware') {
      await this.session.set([
        integer(at(flash.hwFlhOperType), labelsOf('type', flash.hwFlhOperType).number('net2FlashWithoutErase')),
        integer(at(flash.hwFlhOperProtocol), labelsOf('protocol', flash.hwFlhOperProtocol).number(protocol)),
        ip(at(flash.hwFlhOperServerAddress)),
        octets(at(flash.hwFlhOperSourceFile), order.fileName),
        ...(ftp ? [octets(at(flash.hwFlhOperServerUser), order.username ?? ''), octets(at(flash.hwFlhOperPassword), order.password ?? '')] : []),
        ...(ftp && order.server.port ? [integer(at(flash.hwFlhOperServerPort), order.server.port)] : []),
        integer(at(flash.hwFlhOperEndNotification), truth.number('true')),
        integer(at(flash.hwFlhOperRowStatus), rowStatus.number('createAndGo')),
      ]);
      return;
    }
    const type = labelsOf('type', operate.hwCfgOperateType).number(order.type === 'backupConfig' ? 'running2Net' : 'net2Running');
    await this.session.set([
      integer(at(operate.hwCfgOperateType), type),
      integer(at(operate.hwCfgOperateProtocol), labelsOf('protocol', operate.hwCfgOperateProtocol).number(protocol)),
      octets(at(operate.hwCfgOperateFileName), order.fileName),
      ip(at(operate.hwCfgOperateServerAddress)),
      ...(ftp ? [octets(at(operate.hwCfgOperateUserName), order.username ?? ''), octets(at(operate.hwCfgOperateUserPassword), order.password ?? '')] : []),
      ...(ftp && order.server.port ? [integer(at(operate.hwCfgOperateServerPort), order.server.port)] : []),
      integer(at(operate.hwCfgOperateEndNotificationSwitch), truth.number('true')),
      integer(at(operate.hwCfgOperateRowStatus), rowStatus.number('createAndGo')),
    ]);
  }

  async readOperation(index: number, type: OperationType): Promise<OperationReading | undefined> {
    const reading = { index, type, progress: 0, failMessage: '' };
    if (type === 'reboot' || type === 'revertSoftware') {
      const [row, action] = await this.session.get([`${schedule.hwSysReloadRowStatus.oid}.${index}`, `${reloadObjects.hwSysReloadAction.oid}.0`]);
      if (!row || isException(row)) return undefined;
      const pending = action && !isException(action) && reloadAction.label(numberValue(action)) === 'reloadAtOnce';
      return { ...reading, state: pending ? 'running' : 'successful', progress: pending ? 0 : 100, failCause: 'none' };
    }
    if (type === 'downloadSoftware') {
      const [status, reason] = await this.session.get([`${flash.hwFlhOperStatus.oid}.${index}`, `${flash.hwFlhOperErrorReason.oid}.${index}`]);
      if (!status || isException(status)) return undefined;
      return outcome(reading, flashStatus.label(numberValue(status)) ?? 'opUnknownFailure', reason);
    }
    if (type !== 'backupConfig' && type !== 'restoreConfig') return undefined;
    // The result has an index of the device's own: found by the request it belongs to.
    const requests = await this.session.walk(result.hwCfgOperateResultOptIndex.oid);
    const found = requests.find((v) => !isException(v) && numberValue(v) === index);
    if (!found) {
      const [row] = await this.session.get([`${operate.hwCfgOperateRowStatus.oid}.${index}`]);
      return row && !isException(row) ? { ...reading, state: 'waiting', failCause: 'none' } : undefined;
    }
    const resultIndex = found.oid.slice(result.hwCfgOperateResultOptIndex.oid.length + 1);
    const [state, reason] = await this.session.get([`${result.hwCfgOperateState.oid}.${resultIndex}`, `${result.hwCfgOperateErrorReason.oid}.${resultIndex}`]);
    if (!state || isException(state)) return undefined;
    return outcome(reading, configState.label(numberValue(state)) ?? 'opUnknownFailure', reason);
  }

  /**
   * A restart on an image: the new one (the bank not running) for a reboot, the previous one for a
   * revert. The order's bank when it names one: a schedule row lost with the reload it ordered (a
   * power cut) must not turn a repeated order into a reload onto the other bank, the old software.
   */
  async #reload(index: number, type: 'reboot' | 'revertSoftware', bootBank: Bank | undefined): Promise<void> {
    // The same order again: the schedule row is there, and the reload it ordered is under way or done.
    if ((await this.readOperation(index, type)) !== undefined) return;
    let image: number;
    if (bootBank !== undefined) {
      image = images[bootBank];
    } else {
      const [current] = await this.session.get([`${currentColumns.hwSysCurImageIndex.oid}.${mainBoard}`]);
      if (!current || isException(current)) throw new SnmpError('invalidResponse', 'the device does not say which image runs');
      image = numberValue(current) === images.bankA ? images.bankB : images.bankA;
    }
    await this.session.set([
      integer(`${schedule.hwSysReloadImage.oid}.${index}`, image),
      octets(`${schedule.hwSysReloadReason.oid}.${index}`, `${type === 'reboot' ? 'upgrade' : 'revert'} by the upgrade manager (operation ${index})`),
      integer(`${schedule.hwSysReloadRowStatus.oid}.${index}`, rowStatus.number('createAndGo')),
      integer(`${reloadObjects.hwSysReloadAction.oid}.0`, reloadAction.number('reloadAtOnce')),
    ]);
  }
}

function outcome(reading: Omit<OperationReading, 'state' | 'failCause'>, status: string, reason: Varbind | undefined): OperationReading {
  if (status === 'opInProgress') return { ...reading, state: 'running', failCause: 'none' };
  if (status === 'opSuccess') return { ...reading, state: 'successful', progress: 100, failCause: 'none' };
  const why = reason && !isException(reason) ? text(reason) : '';
  return { ...reading, state: 'failed', failCause: failCauseOf(status), failMessage: `the device reports ${status}${why ? `: ${why}` : ''}` };
}

/** The operation tables' failure labels in the procedure's words (their numbers differ; their labels do not). */
export function failCauseOf(status: string): FailCause {
  const causes: Record<string, FailCause> = {
    opFileTransferError: 'transferTimeout',
    opTimeOut: 'transferTimeout',
    opInvalidSourceName: 'fileNotFound',
    opFileOpenError: 'fileNotFound',
    opAuthFail: 'accessDenied',
    opFileChecksumError: 'imageCorrupt',
    opDeviceError: 'writeFailed',
    opDeviceNotProgrammable: 'writeFailed',
    opDeviceFull: 'tooLarge',
    opNoMemory: 'tooLarge',
    opDeviceBusy: 'busy',
    opCmdExecuteFail: 'configInvalid',
    opInvalid: 'protocolError',
    opInvalidOperation: 'protocolError',
    opInvalidProtocol: 'protocolError',
    opAbort: 'aborted',
  };
  return causes[status] ?? 'unknown';
}

function text(varbind: Varbind): string {
  return bufferValue(varbind).toString('utf8');
}
