// A virtual Cisco IOS router: the device underneath is the agent's (banks, operations, faults, power),
// its face is IOS's. A configuration copy (ccCopyTable) to or from a network file is a backup or a
// restore, a copy into flash (ciscoFlashCopyTable) a software download, tsMsgSend reload a reboot; the
// configuration travels as `show running-config` text. The rows follow the MIBs' rules (row-tables.ts).
import type { Endpoint } from '../../protocol/endpoint.ts';
import { octetsAddress } from '../../protocol/ip-address.ts';
import type { Operation } from '../../protocol/safeflash-mib/operation-row.ts';
import { labelsOf, type ObjectFact, scalarProviderOf, syntaxNumber, tableProviderOf } from '../../protocol/snmp/object-table.ts';
import type { MibView } from '../../protocol/snmp/mib-view.ts';
import type { Varbind } from '../../protocol/snmp/varbind.ts';
import type { FailCause } from '../../protocol/vocabulary.ts';
import type { ManagedDevice } from '../../agent/snmp/managed-device.ts';
import { answerSet, columnInstance, refuse, type ScalarValue } from '../../agent/snmp/object-set.ts';
import type { DeviceFace, OutgoingNotification, Personality } from '../../agent/snmp/personality.ts';
import { bootRequest, type RowProgress, type RowTable, RowTables, rowStatusNumber, startTrap, transferWork, upTimeAt } from '../../agent/snmp/row-tables.ts';
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
  /** How long an ended row is kept; the MIBs promise at least five minutes. */
  finishedRowMs?: number;
}

const copyState = labelsOf('ccCopyState', ccCopyColumns.ccCopyState);
const copyFailCause = labelsOf('ccCopyFailCause', ccCopyColumns.ccCopyFailCause);
const fileType = labelsOf('ccCopySourceFileType', ccCopyColumns.ccCopySourceFileType);
const copyProtocol = labelsOf('ccCopyProtocol', ccCopyColumns.ccCopyProtocol);
const flashStatus = labelsOf('ciscoFlashCopyStatus', flashCopyColumns.ciscoFlashCopyStatus);
const flashCommand = labelsOf('ciscoFlashCopyCommand', flashCopyColumns.ciscoFlashCopyCommand);
const flashProtocol = labelsOf('ciscoFlashCopyProtocol', flashCopyColumns.ciscoFlashCopyProtocol);
const truth = labelsOf('TruthValue', ccCopyColumns.ccCopyNotificationOnCompletion);
const inetType = labelsOf('InetAddressType', ccCopyColumns.ccCopyServerAddressType);
const msgSend = labelsOf('tsMsgSend', reloadObjects.tsMsgSend);

const providers = [
  tableProviderOf(ccCopyEntry, ccCopyColumns, ['ccCopyIndex']),
  tableProviderOf(flashCopyEntry, flashCopyColumns, ['ciscoFlashCopySerialNumber']),
  tableProviderOf(entPhysicalEntry, entPhysicalColumns, ['entPhysicalIndex']),
  ...Object.entries(reloadObjects).map(([name, fact]) => scalarProviderOf(name, fact)),
];

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
  readonly #rows: RowTables;
  #reloadIndex: number | undefined;
  #message: Buffer = Buffer.alloc(0);

  constructor(
    private readonly device: ManagedDevice,
    private readonly options: CiscoPersonalityOptions,
  ) {
    const server = (protocol: 'tftp' | 'ftp') => this.#server(protocol);
    // Each IOS table numbers its rows on its own: a row's number may name an operation the device already has.
    this.#rows = new RowTables(device, [copyTable(server, () => this.#upTime()), flashTable(server)], options.finishedRowMs, true);
  }

  sysDescr(status: { model: string; runningVersion: string }): string {
    return `Cisco IOS Software, ${status.model} Software (${status.model}-UNIVERSALK9-M), Version ${status.runningVersion}, RELEASE SOFTWARE (fc1)`;
  }

  refresh(view: MibView): void {
    const status = this.device.status();
    view.setScalar('tsMsgText', this.#message);
    view.setScalar('tsMsgSend', msgSend.number(this.#rows.underWay(this.#reloadIndex) ? 'reload' : 'nothing'));
    view.replaceRows(entPhysicalEntry.name, [[chassisRow, Buffer.from(status.serial), Buffer.from(status.model)]]);
    this.#rows.refresh(view);
  }

  set(varbinds: Varbind[]): ReturnType<DeviceFace['set']> {
    return answerSet(() => {
      const { scalars, rows } = this.#rows.read(varbinds, reloadObjects, (oid) => columnInstance(entPhysicalColumns, oid) !== undefined);
      const plans = [...rows.values()].map((row) => this.#rows.plan(row.table, row.index, row.cells));
      const reload = scalars.get('tsMsgSend');
      const reloads = reload !== undefined && msgSend.label(reload.value as number) === 'reload';
      // The device runs one operation at a time: a SET may start one.
      if (plans.filter((plan) => plan.starts).length + (reloads ? 1 : 0) > 1) refuse('resourceUnavailable', varbinds.length - 1);
      // Everything checked: apply, the start first (the one step the device may still refuse).
      const text = scalars.get('tsMsgText');
      if (text) this.#message = text.value as Buffer;
      if (reloads) this.#reload(reload.position);
      for (const plan of plans) plan.apply();
    });
  }

  progressNotification(): undefined {
    // Copies report no progress: only their end.
    return undefined;
  }

  completionNotification(op: Operation): OutgoingNotification | undefined {
    const row = this.#rows.row(op.index);
    if (!row) return undefined;
    const cells = this.#rows.cells(row);
    const columns: Readonly<Record<string, ObjectFact>> = row.table === 'copy' ? ccCopyColumns : flashCopyColumns;
    const varbind = (name: string): Varbind => {
      const fact = columns[name]!;
      return { oid: `${fact.oid}.${row.index}`, type: syntaxNumber(fact.syntax), value: cells[Object.keys(columns).indexOf(name)]! };
    };
    if (row.table === 'copy') {
      if (truth.label(row.cells.get('ccCopyNotificationOnCompletion') as number) !== 'true') return undefined;
      const failed = this.#rows.progress(row).state === 'failed';
      const names = [
        'ccCopyServerAddress',
        'ccCopyFileName',
        'ccCopyState',
        'ccCopyTimeStarted',
        'ccCopyTimeCompleted',
        ...(failed ? ['ccCopyFailCause'] : []),
      ];
      return { name: 'ccCopyCompletion', oid: ciscoNotifications.ccCopyCompletion.oid, varbinds: names.map(varbind) };
    }
    if (truth.label(row.cells.get('ciscoFlashCopyNotifyOnCompletion') as number) !== 'true') return undefined;
    return { name: 'ciscoFlashCopyCompletionTrap', oid: ciscoNotifications.ciscoFlashCopyCompletionTrap.oid, varbinds: [varbind('ciscoFlashCopyStatus')] };
  }

  bootNotification(status: { lastBootCause: string }): OutgoingNotification {
    return startTrap(status);
  }

  #server(protocol: 'tftp' | 'ftp'): number {
    return protocol === 'tftp' ? (this.options.tftpPort?.() ?? 69) : (this.options.ftpPort?.() ?? 21);
  }

  #upTime(): (at: Date | undefined) => number {
    const { bootTime } = this.device.status();
    return (at) => upTimeAt(bootTime, at);
  }

  #reload(position: number): void {
    // The reload takes the manager's operation number when its message names one, so that a repeated order is one reload.
    const named = /operation (\d+)/.exec(this.#message.toString('utf8'));
    const index = named ? Number(named[1]) : Math.max(0, ...this.device.operations().map((op) => op.index)) + 1;
    this.#rows.start(index, bootRequest('reboot'), position);
    this.#reloadIndex = index;
  }
}

type ServerPort = (protocol: 'tftp' | 'ftp') => number;

/** ccCopyTable: running (or startup) configuration to a network file is a backup; the other way, a restore. */
function copyTable(port: ServerPort, upTime: () => (at: Date | undefined) => number): RowTable {
  return {
    name: 'copy',
    entry: ccCopyEntry,
    columns: ccCopyColumns,
    statusColumn: 'ccCopyEntryRowStatus',
    workOf: (cells, position) => {
      const from = fileType.label(cells.get('ccCopySourceFileType') as number);
      const to = fileType.label(cells.get('ccCopyDestFileType') as number);
      const configs = ['runningConfig', 'startupConfig'];
      if (!from || !to || from === to || !(configs.includes(from) || configs.includes(to))) refuse('inconsistentValue', position);
      // The virtual router keeps one configuration, saved as soon as it changes.
      if (configs.includes(from) && configs.includes(to)) return { kind: 'settled', failed: false };
      if (from !== 'networkFile' && to !== 'networkFile') return { kind: 'settled', failed: true, cause: 'protocolError' };
      // The router has no VRFs: a server in one it cannot reach.
      if (((cells.get('ccCopyVrfName') as Buffer | undefined)?.length ?? 0) > 0) refuse('inconsistentValue', position);
      const fileName = cells.get('ccCopyFileName') as Buffer | undefined;
      if (!fileName || fileName.length === 0) refuse('inconsistentValue', position);
      const protocol = copyProtocol.label((cells.get('ccCopyProtocol') as number | undefined) ?? copyProtocol.number('tftp'));
      if (protocol !== 'tftp' && protocol !== 'ftp') return { kind: 'settled', failed: true, cause: 'protocolError' };
      if (protocol === 'ftp' && (!cells.has('ccCopyUserName') || !cells.has('ccCopyUserPassword'))) refuse('inconsistentValue', position);
      const server = serverOf(cells, 'ccCopyServerAddressType', 'ccCopyServerAddressRev1', 'ccCopyServerAddress', port(protocol), position);
      const type = from === 'networkFile' ? 'restoreConfig' : 'backupConfig';
      return transferWork(type, protocol, server, fileName.toString('utf8'), cells, { user: 'ccCopyUserName', password: 'ccCopyUserPassword' });
    },
    stateCells: (row, progress) => {
      const at = upTime();
      return {
        ccCopyIndex: row.index,
        ccCopyUserPassword: Buffer.alloc(0),
        ccCopyState: copyState.number(progress.state),
        // Only meaningful when failed; a row cannot leave the cell out.
        ccCopyFailCause: copyFailCause.number(progress.state === 'failed' ? copyFailCauseOf(progress.cause) : 'unknown'),
        ccCopyTimeStarted: progress.state === 'waiting' ? 0 : at(progress.startedAt),
        ccCopyTimeCompleted: at(progress.finishedAt),
        ccCopyEntryRowStatus: row.active ? rowStatusNumber.active : rowStatusNumber.notInService,
      };
    },
  };
}

/** ciscoFlashCopyTable: a copy into flash is a software download. */
function flashTable(port: ServerPort): RowTable {
  return {
    name: 'flash',
    entry: flashCopyEntry,
    columns: flashCopyColumns,
    statusColumn: 'ciscoFlashCopyEntryStatus',
    // ciscoFlashCopySerialNumber is Integer32 (0..2147483647).
    minIndex: 0,
    workOf: (cells, position) => {
      const command = flashCommand.label(cells.get('ciscoFlashCopyCommand') as number);
      const source = cells.get('ciscoFlashCopySourceName') as Buffer | undefined;
      if (!command || !source || source.length === 0) refuse('inconsistentValue', position);
      if (command === 'copyFromFlash' || command === 'copyFromFlhLog') return { kind: 'settled', failed: true, cause: 'protocolError' };
      const protocol = flashProtocol.label((cells.get('ciscoFlashCopyProtocol') as number | undefined) ?? flashProtocol.number('tftp'));
      if (protocol !== 'tftp' && protocol !== 'ftp') return { kind: 'settled', failed: true, cause: 'protocolError' };
      const server = serverOf(cells, 'ciscoFlashCopyServerAddrType', 'ciscoFlashCopyServerAddrRev1', 'ciscoFlashCopyServerAddress', port(protocol), position);
      // The MIB documents the user name for rcp; the virtual router takes it (and the password) for ftp too.
      return transferWork('downloadSoftware', protocol, server, source.toString('utf8'), cells, {
        user: 'ciscoFlashCopyRemoteUserName',
        password: 'ciscoFlashCopyRemotePassword',
      });
    },
    stateCells: (row, progress) => ({
      ciscoFlashCopySerialNumber: row.index,
      ciscoFlashCopyRemotePassword: Buffer.alloc(0),
      ciscoFlashCopyStatus: flashStatus.number(flashStatusOf(progress)),
      ciscoFlashCopyTime: progress.startedAt ? Math.floor(((progress.finishedAt ?? new Date()).getTime() - progress.startedAt.getTime()) / 10) : 0,
      ciscoFlashCopyEntryStatus: row.active ? rowStatusNumber.active : rowStatusNumber.notInService,
    }),
  };
}

/** The server a row names: the InetAddress pair, or the deprecated IPv4 column. */
function serverOf(
  cells: ReadonlyMap<string, ScalarValue>,
  typeName: string,
  addressName: string,
  legacyName: string,
  port: number,
  position: number,
): Endpoint {
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

function flashStatusOf({ state, cause }: RowProgress): keyof typeof flashCopyColumns.ciscoFlashCopyStatus.values {
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
