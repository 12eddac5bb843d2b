// A virtual Cisco IOS router: the device underneath is the agent's (banks, operations, faults, power),
// its face is IOS's. A configuration copy (ccCopyTable) to or from a network file is a backup or a
// restore, a copy into flash (ciscoFlashCopyTable) a software download, tsMsgSend reload a reboot; the
// configuration travels as `show running-config` text. Rows follow the MIBs' rules: created with
// createAndGo in one SET, or createAndWait then active; unchangeable once active; kept at least five
// minutes after they end, then aged out. Like IOS, the router forgets its copy rows when it restarts.
import type { Endpoint } from '../../protocol/endpoint.ts';
import { octetsAddress } from '../../protocol/ip-address.ts';
import type { Operation, OperationRequest } from '../../protocol/safeflash-mib/operation-row.ts';
import { labelsOf, type ObjectFact, scalarProviderOf, syntaxNumber, tableProviderOf } from '../../protocol/snmp/object-table.ts';
import type { MibView } from '../../protocol/snmp/mib-view.ts';
import type { Varbind, VarbindValue } from '../../protocol/snmp/varbind.ts';
import type { FailCause } from '../../protocol/vocabulary.ts';
import type { ManagedDevice } from '../../agent/snmp/managed-device.ts';
import { answerSet, checkValue, columnInstance, refuse, type ScalarValue } from '../../agent/snmp/object-set.ts';
import type { DeviceFace, OutgoingNotification, Personality } from '../../agent/snmp/personality.ts';
import { OperationRejected } from '../../agent/types.ts';
import { parseIosConfig, renderIosConfig } from './ios-config.ts';
import {
  ccCopyColumns,
  ccCopyEntry,
  chassisRow,
  ciscoNotifications,
  entPhysicalColumns,
  entPhysicalEntry,
  flashCopyColumns,
  flashCopyEntry,
  reloadObjects,
  virtualRouterObjectId,
} from './objects.ts';

export interface CiscoPersonalityOptions {
  /** The TFTP and FTP ports of the file server: IOS asks the protocols' own ports, which a lab's servers may not hold. */
  tftpPort?: () => number;
  ftpPort?: () => number;
  /** How long a finished row is kept; the MIBs promise at least five minutes. */
  finishedRowMs?: number;
}

const copyState = labelsOf('ccCopyState', ccCopyColumns.ccCopyState);
const copyFailCause = labelsOf('ccCopyFailCause', ccCopyColumns.ccCopyFailCause);
const fileType = labelsOf('ccCopySourceFileType', ccCopyColumns.ccCopySourceFileType);
const copyProtocol = labelsOf('ccCopyProtocol', ccCopyColumns.ccCopyProtocol);
const flashStatus = labelsOf('ciscoFlashCopyStatus', flashCopyColumns.ciscoFlashCopyStatus);
const flashCommand = labelsOf('ciscoFlashCopyCommand', flashCopyColumns.ciscoFlashCopyCommand);
const flashProtocol = labelsOf('ciscoFlashCopyProtocol', flashCopyColumns.ciscoFlashCopyProtocol);
const rowStatus = labelsOf('RowStatus', ccCopyColumns.ccCopyEntryRowStatus);
const truth = labelsOf('TruthValue', ccCopyColumns.ccCopyNotificationOnCompletion);
const inetType = labelsOf('InetAddressType', ccCopyColumns.ccCopyServerAddressType);
const msgSend = labelsOf('tsMsgSend', reloadObjects.tsMsgSend);

const tables = {
  copy: { entry: ccCopyEntry, columns: ccCopyColumns, status: 'ccCopyEntryRowStatus' },
  flash: { entry: flashCopyEntry, columns: flashCopyColumns, status: 'ciscoFlashCopyEntryStatus' },
} as const;
type TableName = keyof typeof tables;

const providers = [
  tableProviderOf(ccCopyEntry, ccCopyColumns, ['ccCopyIndex']),
  tableProviderOf(flashCopyEntry, flashCopyColumns, ['ciscoFlashCopySerialNumber']),
  tableProviderOf(entPhysicalEntry, entPhysicalColumns, ['entPhysicalIndex']),
  ...Object.entries(reloadObjects).map(([name, fact]) => scalarProviderOf(name, fact)),
];

/** A row as the manager created it; what it does is the device operation of the same index. */
interface CopyRow {
  table: TableName;
  index: number;
  cells: Map<string, ScalarValue>;
  active: boolean;
  /** The end of a row that needed no device operation (or could not have one), when it has one. */
  settled?: { failed: false } | { failed: true; cause: FailCause };
  createdAt: number;
}

const minuteMs = 60_000;

export function ciscoIosPersonality(options: CiscoPersonalityOptions = {}): Personality {
  return {
    family: 'cisco-ios',
    configText: { render: renderIosConfig, parse: parseIosConfig },
    face: (device) => new RouterFace(device, options),
  };
}

class RouterFace implements DeviceFace {
  readonly providers = providers;
  readonly sysObjectID = virtualRouterObjectId;
  readonly #rows: Record<TableName, Map<number, CopyRow>> = { copy: new Map(), flash: new Map() };
  #reloadIndex: number | undefined;
  #message: Buffer = Buffer.alloc(0);

  constructor(
    private readonly device: ManagedDevice,
    private readonly options: CiscoPersonalityOptions,
  ) {}

  sysDescr(status: { model: string; runningVersion: string }): string {
    return `Cisco IOS Software, ${status.model} Software (${status.model}-UNIVERSALK9-M), Version ${status.runningVersion}, RELEASE SOFTWARE (fc1)`;
  }

  refresh(view: MibView): void {
    const status = this.device.status();
    this.#ageOut();
    view.setScalar('tsMsgText', this.#message);
    view.setScalar('tsMsgSend', msgSend.number(this.#reloading() ? 'reload' : 'nothing'));
    view.replaceRows(entPhysicalEntry.name, [[chassisRow, Buffer.from(status.serial), Buffer.from(status.model)]]);
    const upTime = (at: Date | undefined) => (at ? Math.max(0, Math.floor((at.getTime() - status.bootTime.getTime()) / 10)) : 0);
    for (const table of ['copy', 'flash'] as const) {
      const { entry, columns } = tables[table];
      view.replaceRows(
        entry.name,
        [...this.#rows[table].values()].map((row) => {
          const cells = this.#cellsOf(row, upTime);
          return Object.keys(columns).map((name) => cells[name] ?? defaultCell(columns[name as keyof typeof columns]));
        }),
      );
    }
  }

  set(varbinds: Varbind[]): ReturnType<DeviceFace['set']> {
    return answerSet(() => {
      const scalars = new Map<string, { value: ScalarValue; position: number }>();
      const rows = new Map<string, { table: TableName; index: number; cells: Map<string, { value: ScalarValue; position: number }> }>();
      varbinds.forEach((varbind, position) => {
        const scalar = Object.entries(reloadObjects).find(([, fact]) => varbind.oid === `${fact.oid}.0`);
        if (scalar) {
          scalars.set(scalar[0], { value: checkValue(scalar[1], varbind, position, 256), position });
          return;
        }
        for (const table of ['copy', 'flash'] as const) {
          const columns: Readonly<Record<string, ObjectFact>> = tables[table].columns;
          const at = columnInstance(columns, varbind.oid);
          if (!at) continue;
          if (at.row < 1 || at.row > 2147483647) refuse('noCreation', position);
          const fact = columns[at.name]!;
          const key = `${table}.${at.row}`;
          const row = rows.get(key) ?? { table, index: at.row, cells: new Map() };
          if (row.cells.has(at.name)) refuse('inconsistentValue', position);
          row.cells.set(at.name, { value: checkValue(fact, varbind, position, 255), position });
          rows.set(key, row);
          return;
        }
        refuse(columnInstance(entPhysicalColumns, varbind.oid) ? 'notWritable' : 'noCreation', position);
      });
      const plans = [...rows.values()].map((row) => this.#planRow(row.table, row.index, row.cells));
      const reload = scalars.get('tsMsgSend');
      const starts = plans.filter((plan) => plan.start).length + (reload && msgSend.label(reload.value as number) === 'reload' ? 1 : 0);
      // The device runs one operation at a time: a SET may start one.
      if (starts > 1) refuse('resourceUnavailable', varbinds.length - 1);
      // Everything checked: apply, the start first (the one step the device may still refuse).
      const text = scalars.get('tsMsgText');
      if (text) this.#message = text.value as Buffer;
      if (reload && msgSend.label(reload.value as number) === 'reload') this.#reload(reload.position);
      for (const plan of plans) plan.apply();
    });
  }

  progressNotification(): undefined {
    // Copies report no progress: only their end.
    return undefined;
  }

  completionNotification(op: Operation): OutgoingNotification | undefined {
    const row = this.#rows.copy.get(op.index) ?? this.#rows.flash.get(op.index);
    if (!row?.active) return undefined;
    const status = this.device.status();
    const cells = this.#cellsOf(row, (at) => (at ? Math.max(0, Math.floor((at.getTime() - status.bootTime.getTime()) / 10)) : 0));
    const varbind = (table: TableName, name: string): Varbind => {
      const fact = (tables[table].columns as Readonly<Record<string, ObjectFact>>)[name]!;
      return { oid: `${fact.oid}.${row.index}`, type: syntaxNumber(fact.syntax), value: cells[name]! };
    };
    if (row.table === 'copy') {
      if (truth.label(row.cells.get('ccCopyNotificationOnCompletion') as number) !== 'true') return undefined;
      const failed = copyState.label(cells.ccCopyState as number) === 'failed';
      const names = [
        'ccCopyServerAddress',
        'ccCopyFileName',
        'ccCopyState',
        'ccCopyTimeStarted',
        'ccCopyTimeCompleted',
        ...(failed ? ['ccCopyFailCause'] : []),
      ];
      return { name: 'ccCopyCompletion', oid: ciscoNotifications.ccCopyCompletion.oid, varbinds: names.map((name) => varbind('copy', name)) };
    }
    if (truth.label(row.cells.get('ciscoFlashCopyNotifyOnCompletion') as number) !== 'true') return undefined;
    return {
      name: 'ciscoFlashCopyCompletionTrap',
      oid: ciscoNotifications.ciscoFlashCopyCompletionTrap.oid,
      varbinds: [varbind('flash', 'ciscoFlashCopyStatus')],
    };
  }

  bootNotification(status: { lastBootCause: string }): OutgoingNotification {
    // The agent starting again: cold after a power-on, warm after a reload.
    const name = status.lastBootCause === 'powerOn' ? 'coldStart' : 'warmStart';
    return { name, oid: ciscoNotifications[name].oid, varbinds: [] };
  }

  /** Checks a row's cells against the row rules; returns how to apply them. */
  #planRow(table: TableName, index: number, given: Map<string, { value: ScalarValue; position: number }>): { start: boolean; apply: () => void } {
    const statusName = tables[table].status;
    const existing = this.#rows[table].get(index);
    const status = given.get(statusName);
    const action = status ? rowStatus.label(status.value as number) : undefined;
    const first = [...given.values()].sort((a, b) => a.position - b.position)[0]!;
    if (action === 'destroy') {
      if (existing?.active && !this.#ended(existing)) refuse('inconsistentValue', status!.position);
      return { start: false, apply: () => void this.#rows[table].delete(index) };
    }
    if (existing?.active) refuse(action === 'active' ? 'inconsistentValue' : 'notWritable', (status ?? first).position);
    if (!existing && action !== 'createAndGo' && action !== 'createAndWait') refuse(status ? 'inconsistentValue' : 'noCreation', (status ?? first).position);
    if (existing && (action === 'createAndGo' || action === 'createAndWait')) refuse('inconsistentValue', status!.position);
    if (action === 'notInService' || action === 'notReady') refuse('wrongValue', status!.position);
    const cells = new Map(existing?.cells);
    for (const [name, cell] of given) if (name !== statusName) cells.set(name, cell.value);
    const starts = action === 'createAndGo' || action === 'active';
    const request = starts ? this.#requestOf(table, cells, (status ?? first).position) : undefined;
    return {
      start: request?.kind === 'operation',
      apply: () => {
        const row: CopyRow = existing ?? { table, index, cells, active: false, createdAt: Date.now() };
        row.cells = cells;
        if (!request) {
          this.#rows[table].set(index, row);
          return;
        }
        if (request.kind === 'operation') this.#start(index, request.request, (status ?? first).position);
        else row.settled = request.settled;
        row.active = true;
        this.#rows[table].set(index, row);
      },
    };
  }

  /** What an activated row does: a device operation, or an end of its own (a copy the router need not make, or cannot). */
  #requestOf(
    table: TableName,
    cells: Map<string, ScalarValue>,
    position: number,
  ): { kind: 'operation'; request: OperationRequest } | { kind: 'settled'; settled: NonNullable<CopyRow['settled']> } {
    if (table === 'flash') {
      const command = flashCommand.label(cells.get('ciscoFlashCopyCommand') as number);
      const source = cells.get('ciscoFlashCopySourceName') as Buffer | undefined;
      if (!command || !source || source.length === 0) refuse('inconsistentValue', position);
      if (command === 'copyFromFlash' || command === 'copyFromFlhLog') return { kind: 'settled', settled: { failed: true, cause: 'protocolError' } };
      const protocol = flashProtocol.label((cells.get('ciscoFlashCopyProtocol') as number | undefined) ?? flashProtocol.number('tftp'));
      if (protocol !== 'tftp' && protocol !== 'ftp') return { kind: 'settled', settled: { failed: true, cause: 'protocolError' } };
      const server = this.#server(cells, 'ciscoFlashCopyServerAddrType', 'ciscoFlashCopyServerAddrRev1', 'ciscoFlashCopyServerAddress', protocol, position);
      return {
        kind: 'operation',
        request: request('downloadSoftware', protocol, server, source.toString('utf8'), cells, 'ciscoFlashCopyRemoteUserName', 'ciscoFlashCopyRemotePassword'),
      };
    }
    const from = fileType.label(cells.get('ccCopySourceFileType') as number);
    const to = fileType.label(cells.get('ccCopyDestFileType') as number);
    const configs = ['runningConfig', 'startupConfig'];
    if (!from || !to || from === to || !(configs.includes(from) || configs.includes(to))) refuse('inconsistentValue', position);
    // The virtual router keeps one configuration, saved as soon as it changes.
    if (configs.includes(from) && configs.includes(to)) return { kind: 'settled', settled: { failed: false } };
    if (from !== 'networkFile' && to !== 'networkFile') return { kind: 'settled', settled: { failed: true, cause: 'protocolError' } };
    const fileName = cells.get('ccCopyFileName') as Buffer | undefined;
    if (!fileName || fileName.length === 0) refuse('inconsistentValue', position);
    const protocol = copyProtocol.label((cells.get('ccCopyProtocol') as number | undefined) ?? copyProtocol.number('tftp'));
    if (protocol !== 'tftp' && protocol !== 'ftp') return { kind: 'settled', settled: { failed: true, cause: 'protocolError' } };
    if (protocol === 'ftp' && (!cells.has('ccCopyUserName') || !cells.has('ccCopyUserPassword'))) refuse('inconsistentValue', position);
    const server = this.#server(cells, 'ccCopyServerAddressType', 'ccCopyServerAddressRev1', 'ccCopyServerAddress', protocol, position);
    const type = from === 'networkFile' ? 'restoreConfig' : 'backupConfig';
    return { kind: 'operation', request: request(type, protocol, server, fileName.toString('utf8'), cells, 'ccCopyUserName', 'ccCopyUserPassword') };
  }

  #server(cells: Map<string, ScalarValue>, typeName: string, addressName: string, legacyName: string, protocol: 'tftp' | 'ftp', position: number): Endpoint {
    const port = protocol === 'tftp' ? (this.options.tftpPort?.() ?? 69) : (this.options.ftpPort?.() ?? 21);
    const type = cells.get(typeName) as number | undefined;
    const octets = cells.get(addressName) as Buffer | undefined;
    if (octets !== undefined) {
      const address = octetsAddress(octets);
      const expected = type === undefined ? undefined : inetType.label(type);
      if (!address || (expected !== undefined && expected !== (octets.length === 4 ? 'ipv4' : 'ipv6'))) refuse('inconsistentValue', position);
      return { address, port };
    }
    const legacy = cells.get(legacyName) as string | undefined;
    // 0.0.0.0 and 255.255.255.255 name no server.
    if (!legacy || legacy === '0.0.0.0' || legacy === '255.255.255.255') refuse('inconsistentValue', position);
    return { address: legacy, port };
  }

  #start(index: number, request: OperationRequest, position: number): void {
    try {
      this.device.createOperation(index, request);
    } catch (error) {
      if (error instanceof OperationRejected)
        refuse(error.reason === 'busy' ? 'resourceUnavailable' : error.reason === 'invalid' ? 'wrongValue' : 'inconsistentValue', position);
      throw error;
    }
  }

  #reload(position: number): void {
    // The reload takes the manager's operation number when its message names one, so that a repeated order is one reload.
    const named = /operation (\d+)/.exec(this.#message.toString('utf8'));
    const index = named ? Number(named[1]) : Math.max(0, ...this.device.operations().map((op) => op.index)) + 1;
    this.#start(index, request('reboot', 'tftp', undefined, '', new Map(), '', ''), position);
    this.#reloadIndex = index;
  }

  #reloading(): boolean {
    if (this.#reloadIndex === undefined) return false;
    const op = this.device.operation(this.#reloadIndex);
    return op !== undefined && (op.state === 'waiting' || op.state === 'running');
  }

  #ended(row: CopyRow): boolean {
    if (row.settled) return true;
    const op = this.device.operation(row.index);
    return op === undefined || op.state === 'successful' || op.state === 'failed';
  }

  #ageOut(): void {
    const keep = this.options.finishedRowMs ?? 5 * minuteMs;
    for (const rows of Object.values(this.#rows)) {
      for (const [index, row] of rows) {
        const finishedAt = row.settled ? row.createdAt : this.device.operation(index)?.finishedAt?.getTime();
        if (row.active && finishedAt !== undefined && Date.now() - finishedAt > keep) rows.delete(index);
      }
    }
  }

  /** The row's cells as the MIB shows them: what was set, and the state of its copy. */
  #cellsOf(row: CopyRow, upTime: (at: Date | undefined) => number): Record<string, VarbindValue> {
    const op = this.device.operation(row.index);
    const cells: Record<string, VarbindValue> = Object.fromEntries(row.cells);
    const state = !row.active ? 'waiting' : row.settled ? (row.settled.failed ? 'failed' : 'successful') : (op?.state ?? 'failed');
    const cause: FailCause = row.settled?.failed ? row.settled.cause : op?.state === 'failed' ? op.failCause : op ? 'none' : 'powerLoss';
    if (row.table === 'copy') {
      cells.ccCopyIndex = row.index;
      cells.ccCopyUserPassword = Buffer.alloc(0);
      cells.ccCopyState = copyState.number(state);
      cells.ccCopyFailCause = copyFailCause.number(state === 'failed' ? copyFailCauseOf(cause) : 'unknown');
      cells.ccCopyTimeStarted = op && state !== 'waiting' ? upTime(op.startedAt) : 0;
      cells.ccCopyTimeCompleted = upTime(op?.finishedAt);
      cells.ccCopyEntryRowStatus = rowStatus.number(row.active ? 'active' : 'notInService');
    } else {
      cells.ciscoFlashCopySerialNumber = row.index;
      cells.ciscoFlashCopyRemotePassword = Buffer.alloc(0);
      cells.ciscoFlashCopyStatus = flashStatus.number(flashStatusOf(state, cause));
      cells.ciscoFlashCopyTime = op ? Math.floor(((op.finishedAt ?? new Date()).getTime() - op.startedAt.getTime()) / 10) : 0;
      cells.ciscoFlashCopyEntryStatus = rowStatus.number(row.active ? 'active' : 'notInService');
    }
    return cells;
  }
}

function request(
  type: OperationRequest['type'],
  protocol: 'tftp' | 'ftp',
  server: Endpoint | undefined,
  fileName: string,
  cells: Map<string, ScalarValue>,
  userName: string,
  password: string,
): OperationRequest {
  const text = (name: string) => (cells.get(name) as Buffer | undefined)?.toString('utf8') ?? '';
  return { type, protocol, server, fileName, username: text(userName), password: text(password), notifyTarget: undefined };
}

/**
 * A column's value before anything set it: the MIB's default, else the type's zero or the
 * enumeration's first value (a row cannot leave a cell out).
 */
function defaultCell(fact: { syntax: string; values?: Readonly<Record<string, number>> }): VarbindValue {
  if (fact.syntax === 'OctetString') return Buffer.alloc(0);
  if (fact.syntax === 'IpAddress') return '0.0.0.0';
  if (!fact.values) return 0;
  for (const preferred of ['tftp', 'false', 'ipv4']) if (preferred in fact.values) return fact.values[preferred]!;
  return Object.values(fact.values)[0]!;
}

function copyFailCauseOf(cause: FailCause): keyof typeof ccCopyColumns.ccCopyFailCause.values {
  switch (cause) {
    case 'serverUnreachable':
    case 'transferTimeout':
      return 'timeout';
    case 'fileNotFound':
    case 'accessDenied':
      return 'badFileName';
    case 'configInvalid':
    case 'configFormatMismatch':
      return 'someConfigApplyFailed';
    case 'tooLarge':
      return 'noMem';
    case 'busy':
      return 'systemNotReady';
    case 'protocolError':
      return 'unsupportedProtocol';
    case 'powerLoss':
    case 'aborted':
      return 'requestAborted';
    default:
      return 'unknown';
  }
}

function flashStatusOf(state: string, cause: FailCause): keyof typeof flashCopyColumns.ciscoFlashCopyStatus.values {
  if (state === 'waiting') return 'copyOperationPending';
  if (state === 'running') return 'copyInProgress';
  if (state === 'successful') return 'copyOperationSuccess';
  switch (cause) {
    case 'serverUnreachable':
    case 'transferTimeout':
      return 'copyFileTransferError';
    case 'fileNotFound':
    case 'accessDenied':
      return 'copyInvalidSourceName';
    case 'imageCorrupt':
      return 'copyFileChecksumError';
    case 'imageBadSignature':
    case 'imageWrongModel':
      return 'copyInvalidSignature';
    case 'writeFailed':
      return 'copyDeviceError';
    case 'tooLarge':
      return 'copyDeviceFull';
    case 'busy':
      return 'copyDeviceBusy';
    case 'protocolError':
      return 'copyInvalidOperation';
    default:
      return 'copyUnknownFailure';
  }
}
