// A virtual Huawei VRP device: the device underneath is the agent's (banks, operations, faults, power),
// its face is VRP's. A copy into flash (huaweiFlhOpTable net2Flash) is a software download; a
// configuration operation (hwCfgOperateTable running2Net, net2Running) a backup or a restore, its result
// in hwCfgOperateResultTable under an index of the device's own; the images in flash are the two banks
// (hwSysImageTable, hwSysCurImageIndex); a reload schedule row names the image to boot and
// hwSysReloadAction reloadAtOnce restarts on it, which is how an upgrade is activated and how it is
// undone. The configuration travels as `display current-configuration` text.
import type { Endpoint } from '../../protocol/endpoint.ts';
import { chassisRow, entPhysicalColumns, entPhysicalEntry } from '../../protocol/snmp/entity-group.ts';
import { labelsOf, type ObjectFact, scalarProviderOf, syntaxNumber, tableProviderOf } from '../../protocol/snmp/object-table.ts';
import type { MibView } from '../../protocol/snmp/mib-view.ts';
import type { Varbind, VarbindValue } from '../../protocol/snmp/varbind.ts';
import type { Bank, FailCause } from '../../protocol/vocabulary.ts';
import type { Operation } from '../../protocol/safeflash-mib/operation-row.ts';
import type { ManagedDevice } from '../../agent/snmp/managed-device.ts';
import { answerSet, columnInstance, refuse, type ScalarValue } from '../../agent/snmp/object-set.ts';
import type { DeviceFace, OutgoingNotification, Personality } from '../../agent/snmp/personality.ts';
import {
  bootRequest,
  type byRow,
  type Row,
  type RowProgress,
  type RowTable,
  RowTables,
  rowStatusNumber,
  startTrap,
  transferWork,
  upTimeAt,
} from '../../agent/snmp/row-tables.ts';
import {
  configOperateColumns,
  configOperateEntry,
  configResultColumns,
  configResultEntry,
  currentColumns,
  currentEntryOf,
  flashOperColumns,
  flashOperEntry,
  huaweiNotifications,
  imageColumns,
  imageEntryOf,
  mainBoard,
  reloadObjects,
  reloadScheduleColumns,
  reloadScheduleEntry,
  virtualVrpObjectId,
} from './objects.ts';
import { parseVrpConfig, renderVrpConfig } from './vrp-config.ts';

export interface HuaweiPersonalityOptions {
  /** The TFTP and FTP ports of the file server, when a row names none (VRP asks the protocols' own). */
  tftpPort?: () => number;
  ftpPort?: () => number;
  /** How long an ended row is kept (hwCfgOperateEntryAgeOutTime: five minutes by default). */
  finishedRowMs?: number;
}

const flashType = labelsOf('hwFlhOperType', flashOperColumns.hwFlhOperType);
const flashProtocol = labelsOf('hwFlhOperProtocol', flashOperColumns.hwFlhOperProtocol);
const flashStatus = labelsOf('hwFlhOperStatus', flashOperColumns.hwFlhOperStatus);
const configType = labelsOf('hwCfgOperateType', configOperateColumns.hwCfgOperateType);
const configProtocol = labelsOf('hwCfgOperateProtocol', configOperateColumns.hwCfgOperateProtocol);
const configState = labelsOf('hwCfgOperateState', configResultColumns.hwCfgOperateState);
const truth = labelsOf('TruthValue', flashOperColumns.hwFlhOperEndNotification);
const reloadAction = labelsOf('hwSysReloadAction', reloadObjects.hwSysReloadAction);

/** hwSysImageIndex of each bank's image. */
export const imageIndexOf: Record<Bank, number> = { bankA: 1, bankB: 2 };
const bankOfImage = (index: number): Bank | undefined => (index === 1 ? 'bankA' : index === 2 ? 'bankB' : undefined);

const providers = [
  tableProviderOf(flashOperEntry, flashOperColumns, ['hwFlhOperIndex']),
  tableProviderOf(configOperateEntry, configOperateColumns, ['hwCfgOperateIndex']),
  tableProviderOf(configResultEntry, configResultColumns, ['hwCfgOperateResultIndex']),
  tableProviderOf(currentEntryOf, currentColumns, ['hwSysCurEntPhysicalIndex']),
  tableProviderOf(imageEntryOf, imageColumns, ['hwSysImageIndex']),
  tableProviderOf(reloadScheduleEntry, reloadScheduleColumns, ['hwSysReloadScheduleIndex']),
  tableProviderOf(entPhysicalEntry, entPhysicalColumns, ['entPhysicalIndex']),
  ...Object.entries(reloadObjects).map(([name, fact]) => scalarProviderOf(name, fact)),
];

export function huaweiPersonality(options: HuaweiPersonalityOptions = {}): Personality {
  return {
    family: 'huawei',
    configText: { render: renderVrpConfig, parse: parseVrpConfig },
    face: (device) => new VrpFace(device, options),
  };
}

class VrpFace implements DeviceFace {
  readonly providers = providers;
  readonly sysObjectID = virtualVrpObjectId;
  readonly #rows: RowTables;
  /** hwCfgOperateResultIndex of each configuration operation, by its hwCfgOperateIndex: the device numbers results itself. */
  readonly #results = new Map<number, number>();
  #nextResult = 1;
  #reloadIndex: number | undefined;

  constructor(
    private readonly device: ManagedDevice,
    options: HuaweiPersonalityOptions,
  ) {
    const port = (protocol: 'tftp' | 'ftp') => (protocol === 'tftp' ? (options.tftpPort?.() ?? 69) : (options.ftpPort?.() ?? 21));
    this.#rows = new RowTables(device, [flashTable(port), configTable(port), scheduleTable(() => this.device.status())], options.finishedRowMs);
  }

  sysDescr(status: { model: string; runningVersion: string }): string {
    return `Huawei Versatile Routing Platform Software\r\nVRP (R) software, Version 5.170 (${status.model} ${status.runningVersion})`;
  }

  refresh(view: MibView): void {
    const status = this.device.status();
    view.setScalar('hwSysReloadAction', reloadAction.number(this.#rows.underWay(this.#reloadIndex) ? 'reloadAtOnce' : 'reloadUnavailable'));
    view.replaceRows(entPhysicalEntry.name, [[chassisRow, Buffer.from(status.serial), Buffer.from(status.model)]]);
    view.replaceRows(currentEntryOf.name, [[mainBoard, imageIndexOf[status.activeBank]]]);
    view.replaceRows(
      imageEntryOf.name,
      status.banks
        .filter((bank) => bank.state === 'valid')
        .map((bank) => [imageIndexOf[bank.bank], Buffer.from(imageName(status.model, bank.version)), Buffer.from(bank.version)]),
    );
    this.#rows.refresh(view);
    view.replaceRows(
      configResultEntry.name,
      [...this.#results].flatMap(([index, result]) => {
        const row = this.#rows.row(index);
        return row ? [this.#resultCells(row, result)] : [];
      }),
    );
  }

  set(varbinds: Varbind[]): ReturnType<DeviceFace['set']> {
    return answerSet(() => {
      const { scalars, rows } = this.#rows.read(varbinds, reloadObjects, isReadOnly);
      const action = scalars.get('hwSysReloadAction');
      const plans = [...rows.values()].map((row) => this.#rows.plan(row.table, row.index, row.cells));
      const reloadNow = action !== undefined && reloadAction.label(action.value as number) === 'reloadAtOnce';
      if (action !== undefined && !reloadNow && reloadAction.label(action.value as number) !== 'reloadCancel') refuse('wrongValue', action.position);
      // The schedule row the reload follows: the one made in the same SET.
      const scheduled = reloadNow ? this.#scheduleFor(rows, action!.position) : undefined;
      if (plans.filter((plan) => plan.starts).length + (reloadNow ? 1 : 0) > 1) refuse('resourceUnavailable', varbinds.length - 1);
      // Everything checked: apply, the start first (the one step the device may still refuse).
      if (scheduled) this.#reload(scheduled, action!.position);
      for (const plan of plans) plan.apply();
      for (const row of rows.values()) {
        if (row.table === 'config' && this.#rows.row(row.index) && !this.#results.has(row.index)) this.#results.set(row.index, this.#nextResult++);
      }
    });
  }

  progressNotification(): undefined {
    return undefined;
  }

  completionNotification(op: Operation): OutgoingNotification | undefined {
    const row = this.#rows.row(op.index);
    if (!row) return undefined;
    if (row.table === 'flash') {
      if (truth.label(row.cells.get('hwFlhOperEndNotification') as number) !== 'true') return undefined;
      const status = this.#rows.cells(row)[Object.keys(flashOperColumns).indexOf('hwFlhOperStatus')]!;
      const fact = flashOperColumns.hwFlhOperStatus;
      return { name: 'hwFlhOperNotification', oid: huaweiNotifications.hwFlhOperNotification.oid, varbinds: [cell(fact, row.index, status)] };
    }
    const result = this.#results.get(row.index);
    if (row.table !== 'config' || result === undefined || truth.label(row.cells.get('hwCfgOperateEndNotificationSwitch') as number) !== 'true')
      return undefined;
    const cells = this.#resultCells(row, result);
    const at = (name: keyof typeof configResultColumns) => cells[Object.keys(configResultColumns).indexOf(name)]!;
    return {
      name: 'hwCfgOperateCompletion',
      oid: huaweiNotifications.hwCfgOperateCompletion.oid,
      varbinds: [
        cell(configOperateColumns.hwCfgOperateType, row.index, row.cells.get('hwCfgOperateType') as number),
        cell(configResultColumns.hwCfgOperateTime, result, at('hwCfgOperateTime')),
        cell(configResultColumns.hwCfgOperateState, result, at('hwCfgOperateState')),
        cell(configResultColumns.hwCfgOperateEndTime, result, at('hwCfgOperateEndTime')),
      ],
    };
  }

  bootNotification(status: { lastBootCause: string }): OutgoingNotification {
    return startTrap(status);
  }

  #resultCells(row: Row, result: number): VarbindValue[] {
    const progress = this.#rows.progress(row);
    const upTime = (at: Date | undefined) => upTimeAt(this.device.status().bootTime, at);
    const cells: Record<keyof typeof configResultColumns, VarbindValue> = {
      hwCfgOperateResultIndex: result,
      hwCfgOperateResultOptIndex: row.index,
      hwCfgOperateResultOpType: row.cells.get('hwCfgOperateType') as number,
      hwCfgOperateState: configState.number(configStateOf(progress)),
      hwCfgOperateTime: progress.startedAt ? Math.floor(((progress.finishedAt ?? new Date()).getTime() - progress.startedAt.getTime()) / 10) : 0,
      hwCfgOperateEndTime: upTime(progress.finishedAt),
      // TFTP does not tell the length ahead: the share cannot be computed.
      hwCfgOperateTransferProgress: progress.state === 'successful' ? 100 : 65535,
      hwCfgOperateErrorReason: Buffer.from(progress.state === 'failed' ? `the operation failed: ${progress.cause}` : ''),
    };
    return Object.keys(configResultColumns).map((name) => cells[name as keyof typeof configResultColumns]);
  }

  /** The schedule row a reloadAtOnce follows; inconsistentValue when there is none. */
  #scheduleFor(rows: ReturnType<typeof byRow>, position: number): { index: number; image: number } {
    const inSet = [...rows.values()].find((row) => row.table === 'schedule');
    const image = inSet?.cells.get('hwSysReloadImage')?.value;
    if (inSet && typeof image === 'number') return { index: inSet.index, image };
    refuse('inconsistentValue', position);
  }

  /** Restarts on the scheduled image: the one marked for the next boot, or the other bank (the previous software). */
  #reload(schedule: { index: number; image: number }, position: number): void {
    const status = this.device.status();
    const bank = bankOfImage(schedule.image);
    const other: Bank = status.activeBank === 'bankA' ? 'bankB' : 'bankA';
    const type = bank === status.nextBootBank ? 'reboot' : bank === other ? 'revertSoftware' : undefined;
    if (!type) refuse('inconsistentValue', position);
    this.#rows.start(schedule.index, bootRequest(type), position);
    this.#reloadIndex = schedule.index;
  }
}

type ServerPort = (protocol: 'tftp' | 'ftp') => number;

/** huaweiFlhOpTable: net2Flash is a software download. */
function flashTable(port: ServerPort): RowTable {
  return {
    name: 'flash',
    entry: flashOperEntry,
    columns: flashOperColumns,
    statusColumn: 'hwFlhOperRowStatus',
    workOf: (cells, position) => {
      const type = flashType.label(cells.get('hwFlhOperType') as number);
      const source = cells.get('hwFlhOperSourceFile') as Buffer | undefined;
      if (!type || !source || source.length === 0) refuse('inconsistentValue', position);
      if (type === 'flash2Net' || type === 'delete') return { kind: 'settled', failed: true, cause: 'protocolError' };
      const protocol = flashProtocol.label((cells.get('hwFlhOperProtocol') as number | undefined) ?? flashProtocol.number('ftp'));
      if (protocol === 'sftp' || !protocol) return { kind: 'settled', failed: true, cause: 'protocolError' };
      if (protocol === 'ftp' && !cells.has('hwFlhOperServerUser')) refuse('inconsistentValue', position);
      const server = serverOf(cells, 'hwFlhOperServerAddress', 'hwFlhOperServerPort', port(protocol), position);
      return transferWork('downloadSoftware', protocol, server, source.toString('utf8'), cells, { user: 'hwFlhOperServerUser', password: 'hwFlhOperPassword' });
    },
    stateCells: (row, progress) => ({
      hwFlhOperIndex: row.index,
      hwFlhOperPassword: Buffer.alloc(0),
      hwFlhOperStatus: flashStatus.number(flashStatusOf(progress)),
      hwFlhOperProgress: progress.startedAt ? Math.floor(((progress.finishedAt ?? new Date()).getTime() - progress.startedAt.getTime()) / 10) : 0,
      hwFlhOperRowStatus: row.active ? rowStatusNumber.active : rowStatusNumber.notInService,
      hwFlhOperTransferProgress: progress.state === 'successful' ? 100 : 0,
      hwFlhOperErrorReason: Buffer.from(progress.state === 'failed' ? `the operation failed: ${progress.cause}` : ''),
    }),
  };
}

/** hwCfgOperateTable: running2Net is a backup, net2Running (or net2Startup) a restore. */
function configTable(port: ServerPort): RowTable {
  return {
    name: 'config',
    entry: configOperateEntry,
    columns: configOperateColumns,
    statusColumn: 'hwCfgOperateRowStatus',
    workOf: (cells, position) => {
      const type = configType.label(cells.get('hwCfgOperateType') as number);
      if (!type) refuse('inconsistentValue', position);
      // The virtual device keeps one configuration, saved as soon as it changes.
      if (type === 'running2Startup' || type === 'startup2Running') return { kind: 'settled', failed: false };
      const fileName = cells.get('hwCfgOperateFileName') as Buffer | undefined;
      if (!fileName || fileName.length === 0) refuse('inconsistentValue', position);
      const protocol = configProtocol.label((cells.get('hwCfgOperateProtocol') as number | undefined) ?? configProtocol.number('ftp'));
      if (protocol === 'sftp' || !protocol) return { kind: 'settled', failed: true, cause: 'protocolError' };
      if (protocol === 'ftp' && (!cells.has('hwCfgOperateUserName') || !cells.has('hwCfgOperateUserPassword'))) refuse('inconsistentValue', position);
      const server = serverOf(cells, 'hwCfgOperateServerAddress', 'hwCfgOperateServerPort', port(protocol), position);
      const restore = type === 'net2Running' || type === 'net2Startup';
      return transferWork(restore ? 'restoreConfig' : 'backupConfig', protocol, server, fileName.toString('utf8'), cells, {
        user: 'hwCfgOperateUserName',
        password: 'hwCfgOperateUserPassword',
      });
    },
    stateCells: (row) => ({
      hwCfgOperateIndex: row.index,
      hwCfgOperateUserPassword: Buffer.alloc(0),
      hwCfgOperateRowStatus: row.active ? rowStatusNumber.active : rowStatusNumber.notInService,
    }),
  };
}

/** hwSysReloadScheduleTable: a restart and the image it boots; hwSysReloadAction carries it out. */
function scheduleTable(status: ManagedDevice['status']): RowTable {
  return {
    name: 'schedule',
    entry: reloadScheduleEntry,
    columns: reloadScheduleColumns,
    statusColumn: 'hwSysReloadRowStatus',
    workOf: (cells, position) => {
      // A row cannot become active naming an image the device does not hold.
      const bank = bankOfImage(cells.get('hwSysReloadImage') as number);
      if (!bank || status().banks.find((b) => b.bank === bank)?.state !== 'valid') refuse('inconsistentValue', position);
      return { kind: 'settled', failed: false };
    },
    stateCells: (row) => ({
      hwSysReloadScheduleIndex: row.index,
      hwSysReloadRowStatus: row.active ? rowStatusNumber.active : rowStatusNumber.notInService,
    }),
  };
}

/** The file a bank's image has in flash. */
export function imageName(model: string, version: string): string {
  return `flash:/${model}-${version}.cc`;
}

function isReadOnly(oid: string): boolean {
  const tables: ReadonlyArray<Readonly<Record<string, ObjectFact>>> = [entPhysicalColumns, currentColumns, imageColumns, configResultColumns];
  return tables.some((columns) => columnInstance(columns, oid) !== undefined);
}

function cell(fact: ObjectFact, index: number, value: VarbindValue): Varbind {
  return { oid: `${fact.oid}.${index}`, type: syntaxNumber(fact.syntax), value };
}

/** The server a row names: its IPv4 address and, for FTP, the port it gives. */
function serverOf(cells: ReadonlyMap<string, ScalarValue>, addressName: string, portName: string, port: number, position: number): Endpoint {
  const address = cells.get(addressName) as string | undefined;
  // 0.0.0.0 and 255.255.255.255 name no server.
  if (!address || address === '0.0.0.0' || address === '255.255.255.255') refuse('inconsistentValue', position);
  return { address, port: (cells.get(portName) as number | undefined) ?? port };
}

function flashStatusOf({ state, cause }: RowProgress): keyof typeof flashOperColumns.hwFlhOperStatus.values {
  if (state === 'waiting' || state === 'running') return 'opInProgress';
  if (state === 'successful') return 'opSuccess';
  return sharedFailure(cause) ?? (cause === 'powerLoss' || cause === 'aborted' ? 'opAbort' : 'opUnknownFailure');
}

function configStateOf({ state, cause }: RowProgress): keyof typeof configResultColumns.hwCfgOperateState.values {
  if (state === 'waiting' || state === 'running') return 'opInProgress';
  if (state === 'successful') return 'opSuccess';
  if (cause === 'transferTimeout') return 'opTimeOut';
  if (cause === 'configInvalid' || cause === 'configFormatMismatch') return 'opCmdExecuteFail';
  return sharedFailure(cause) ?? (cause === 'powerLoss' || cause === 'aborted' ? 'opAbort' : 'opUnknownFailure');
}

/** Failures both tables name alike (their numbers differ, their labels do not). */
function sharedFailure(cause: FailCause) {
  switch (cause) {
    case 'serverUnreachable':
    case 'transferTimeout':
      return 'opFileTransferError' as const;
    case 'fileNotFound':
      return 'opFileOpenError' as const;
    case 'accessDenied':
      return 'opAuthFail' as const;
    case 'imageCorrupt':
    case 'imageBadSignature':
    case 'imageWrongModel':
      return 'opFileChecksumError' as const;
    case 'writeFailed':
      return 'opDeviceError' as const;
    case 'tooLarge':
      return 'opDeviceFull' as const;
    case 'busy':
      return 'opDeviceBusy' as const;
    default:
      return undefined;
  }
}
