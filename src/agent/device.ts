// A virtual IAD: two software banks, a running configuration and an operation table, kept on disk under
// its own state directory so that it survives being killed at any instant, plus the operations a
// manager orders over SNMP. The SNMP layer maps MIB rows onto this API and turns its events into
// notifications.
//
// Power and the operation table: a commanded reboot or revert is a boot of the virtual device, not of
// the agent process, so the operation table (and the row of the reboot itself) lives through it; that
// row ends successful once the aimed-at bank runs. A power cut (fault injection, or the process being
// killed) loses everything held in memory: the device starts again from disk, where the table was
// saved at each row's creation and end, and rows that were under way read failed / powerLoss.
import { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { KeyObject } from 'node:crypto';
import type { DeviceConfig } from '../protocol/config.ts';
import { factoryConfig } from '../protocol/config.ts';
import { isBootable, readImage, type ImageHeader } from '../protocol/image.ts';
import { download, releaseDownload, upload } from '../protocol/transfer.ts';
import { readFileIfExists, removeLeftoverTempFiles } from '../common/atomic-file.ts';
import { bankStatus, BankStore, type BankContent } from './banks.ts';
import { beginBoot, defaultMaxBootAttempts, resolveBoot, type BootResult } from './boot.ts';
import { ConfigStore, type RunningConfig } from './config-store.ts';
import { banks, factoryState, otherBank, parseState, renderState, type DeviceState } from './device-state.ts';
import { FaultInjector } from './fault-injector.ts';
import type { FaultName, FaultPlan } from './faults.ts';
import { endpointProblems, movesAFile, requestProblems } from './operation-request.ts';
import { copyRow, defaultMaxFinishedOperations, OperationTable, type OperationRecord } from './operation-table.ts';
import { backupConfig } from './operations/backup-config.ts';
import { type ConfigText, OperationFailure, PowerLost, type DeviceTransfer, type OperationContext } from './operations/context.ts';
import { defaultPortNames, registeredLines, type Services, servicesAtBoot } from './services.ts';
import { activateSoftware } from './operations/activate-software.ts';
import { downloadSoftware, stageSoftware } from './operations/download-software.ts';
import { reboot, revertSoftware } from './operations/reboot.ts';
import { convertConfig, restoreConfig } from './operations/restore-config.ts';
import { SerialWriter } from './serial-writer.ts';
import { OperationRejected, type DeviceEvents } from './types.ts';
import type { BankStatus, DeviceStatus } from '../protocol/safeflash-mib/device-scalars.ts';
import type { Operation, OperationRequest } from '../protocol/safeflash-mib/operation-row.ts';
import type { Bank, BootCause, OperationType } from '../protocol/vocabulary.ts';
import type { Endpoint } from '../protocol/endpoint.ts';

export type { DeviceTransfer } from './operations/context.ts';

export interface DeviceOptions {
  /** The device's own loopback address: every transfer leaves from it. */
  address: string;
  /** The device's own directory: banks/, config/, state.json, ops.json. */
  stateDir: string;
  model: string;
  serial: string;
  trustedKeys: KeyObject[];
  /** Signed image written to bank A on the very first start. */
  factoryImage: Buffer;
  /** How long a reboot takes; the device does not answer meanwhile. */
  rebootMs: number;
  /** false: downloadSoftware applies the new software in place at its end (no reboot step). Default true. */
  rebootRequired?: boolean;
  faults?: FaultPlan;
  /** Told each time a countdown fault of the plan strikes. */
  onFault?: (fault: FaultName) => void;
  /** The file transfer functions; the real TFTP/FTP clients by default. */
  transfer?: DeviceTransfer;
  /** How the device writes its configuration into files; the reference format when absent. */
  configText?: ConfigText;
  /** Format of the factory configuration; default: the one the factory image expects. */
  initialConfigFormat?: number;
  /** Largest image a download may bring. Default 64 MiB. */
  maxImageBytes?: number;
  /** Largest configuration a restore may bring. Default 1 MiB. */
  maxConfigBytes?: number;
  /** Finished rows kept in the operation table. Default 32. */
  maxFinishedOperations?: number;
  /** Unfinished boots of a bank before it counts as failed. Default 3. */
  maxBootAttempts?: number;
  /** The device's ports (IF-MIB ifDescr), in ifIndex order; names starting "pots" are voice lines. */
  ports?: readonly string[];
  /**
   * false: the device's files are replaced atomically but not flushed to the disk. Its power cuts (the
   * fault plan's, or the agent's process killed) leave the host's page cache standing, so they still
   * find every write; only the host losing power could lose one. For large fleets. Default true.
   */
  flushWrites?: boolean;
}

/** Everything the device holds in memory while it has power; a power cut throws it away. */
interface Powered {
  state: DeviceState;
  stateWriter: SerialWriter;
  contents: Record<Bank, BankContent>;
  running: RunningConfig;
  table: OperationTable;
  bootTime: Date;
  /** Aborted when the power goes. */
  power: AbortController;
  inFlight: Promise<void> | undefined;
  services: Services;
}

/** The largest image a bank holds (sfBankCapacity) unless told: 64 MiB. */
const defaultMaxImageBytes = 64 * 1024 * 1024;

const runners: Record<OperationType, (context: OperationContext, rebootMs: number) => Promise<void>> = {
  backupConfig,
  downloadSoftware,
  reboot,
  revertSoftware,
  restoreConfig,
  convertConfig,
  stageSoftware,
  activateSoftware,
};

export class VirtualDevice extends EventEmitter<DeviceEvents> {
  readonly address: string;
  readonly stateDir: string;
  readonly model: string;
  readonly serial: string;
  readonly rebootRequired: boolean;
  private readonly options: DeviceOptions;
  private readonly transfer: DeviceTransfer;
  private readonly injector: FaultInjector;
  private readonly banksStore: BankStore;
  private readonly configStore: ConfigStore;
  private readonly statePath: string;
  private powered: Powered | undefined;
  private readonly portNames: readonly string[];
  private readonly maxImageBytes: number;
  /** Whether the device's files are flushed to the disk (DeviceOptions.flushWrites). */
  private readonly flush: boolean;
  private isAnswering = false;
  private changes = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Why the device stayed off after a power cut, when it could not power on again (no bootable image). */
  powerOnFailure: Error | undefined;
  /** The power-on under way, if any: start() and a power cut's restart share it. */
  private poweringOn: Promise<void> | undefined;

  constructor(options: DeviceOptions) {
    super();
    this.options = options;
    this.address = options.address;
    this.stateDir = options.stateDir;
    this.model = options.model;
    this.serial = options.serial;
    this.rebootRequired = options.rebootRequired ?? true;
    this.portNames = options.ports ?? defaultPortNames;
    this.maxImageBytes = options.maxImageBytes ?? defaultMaxImageBytes;
    this.transfer = options.transfer ?? { download, upload, release: releaseDownload };
    this.injector = new FaultInjector(options.faults, options.onFault);
    this.flush = options.flushWrites ?? true;
    this.banksStore = new BankStore(join(options.stateDir, 'banks'), { trustedKeys: options.trustedKeys, model: options.model }, this.flush);
    this.configStore = new ConfigStore(join(options.stateDir, 'config'), this.flush);
    this.statePath = join(options.stateDir, 'state.json');
  }

  /** Whether the device answers managers now: false while off, booting or rebooting. */
  get answering(): boolean {
    return this.isAnswering;
  }

  /**
   * Moves whenever anything status() or operations() report may have changed (time aside: sysUpTime
   * is the reader's to compute). An agent that saw the same revision before a request serves what it
   * served then, instead of rebuilding its whole view for every request.
   */
  get revision(): number {
    return this.changes;
  }

  private changed(): void {
    this.changes += 1;
  }

  /** The fault plan in force, with what remains of its countdowns. */
  get faults(): FaultPlan {
    return this.injector.plan;
  }

  setFaults(plan: FaultPlan): void {
    this.injector.replace(plan);
  }

  /** Power on: load the device from disk (or make a factory-new one), recover, boot. */
  async start(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    if (this.powered) return;
    this.poweringOn ??= this.powerOn().finally(() => {
      this.poweringOn = undefined;
    });
    return this.poweringOn;
  }

  /** Power off for good: whatever runs is cut off as by a power cut, and the device stays off. */
  async stop(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    await this.poweringOn?.catch(() => undefined);
    const powered = this.powered;
    if (!powered) return;
    this.cutPower(powered);
    await this.settle(powered);
  }

  status(): DeviceStatus {
    const powered = this.requirePower();
    const bankStatuses = banks.map((bank) => this.bankOf(powered, bank));
    const active = this.bankOf(powered, powered.state.activeBank);
    const previous = this.bankOf(powered, otherBank(powered.state.activeBank));
    return {
      model: this.model,
      serial: this.serial,
      runningVersion: active.version,
      previousVersion: previous.state === 'valid' ? previous.version : '',
      activeBank: powered.state.activeBank,
      nextBootBank: powered.state.nextBootBank,
      configFormat: powered.running.format,
      configDigest: Buffer.from(powered.running.digest),
      rebootRequired: this.rebootRequired,
      lastBootCause: powered.state.lastBootCause,
      bootTime: new Date(powered.bootTime),
      banks: bankStatuses,
      notifyTarget: powered.state.notifyTarget && { ...powered.state.notifyTarget },
      activeCalls: powered.services.activeCalls,
      registeredLines: registeredLines(powered.services),
      activeAlarms: powered.services.activeAlarms,
      bankCapacity: this.maxImageBytes,
      ports: powered.services.ports.map((port) => ({ ...port })),
    };
  }

  /** Calls in progress on the device's lines (a boot ends them). */
  setActiveCalls(calls: number): void {
    if (!Number.isInteger(calls) || calls < 0) throw new RangeError(`calls must be a whole number, got ${calls}`);
    this.requirePower().services.activeCalls = calls;
    this.changed();
  }

  /** A port going down or coming back up (a cable pulled, a line cut), until the next boot. */
  setPortUp(name: string, up: boolean): void {
    const port = this.requirePower().services.ports.find((p) => p.name === name);
    if (!port) throw new RangeError(`the device has no port ${name}`);
    port.oper = up ? 'up' : 'down';
    this.changed();
  }

  /** A change made on the unit itself (its web page, its console): the running configuration becomes what `change` makes of it. */
  async editConfig(change: (config: DeviceConfig) => DeviceConfig): Promise<void> {
    const powered = this.requirePower();
    powered.running = await this.configStore.write(change(structuredClone(powered.running.config)));
    this.changed();
  }

  /** The operation table in index order (copies; passwords read back empty). Empty while off. */
  operations(): Operation[] {
    return this.powered?.table.list() ?? [];
  }

  operation(index: number): Operation | undefined {
    const record = this.powered?.table.get(index);
    return record && copyRow(record.row);
  }

  /**
   * Creates an operation row and starts it in the background (the SET is answered first). The same
   * request for an existing index returns that row unchanged: a repeated command is harmless.
   */
  createOperation(index: number, request: OperationRequest): Operation {
    const powered = this.powered;
    if (!powered || !this.isAnswering) throw new OperationRejected('notAnswering', 'the device is not answering (off or booting)');
    const problems = requestProblems(index, request);
    if (problems.length > 0) throw new OperationRejected('invalid', problems.join('; '));
    const existing = powered.table.get(index);
    if (existing) {
      if (powered.table.isSameRequest(existing, request)) return copyRow(existing.row);
      throw new OperationRejected('exists', `operation ${index} exists with other parameters (${describe(existing.row)})`);
    }
    const active = powered.table.active();
    if (active) throw new OperationRejected('busy', `operation ${active.row.index} (${describe(active.row)}) is ${active.row.state}`);
    const record = powered.table.add(index, request, new Date());
    this.changed();
    powered.inFlight = this.run(powered, record);
    return copyRow(record.row);
  }

  /** Removes a finished row; refuses while it runs. Returns whether there was such a row. */
  destroyOperation(index: number): boolean {
    const powered = this.powered;
    if (!powered || !this.isAnswering) throw new OperationRejected('notAnswering', 'the device is not answering (off or booting)');
    const record = powered.table.get(index);
    if (!record) return false;
    if (record.row.finishedAt === undefined) throw new OperationRejected('busy', `operation ${index} (${describe(record.row)}) is ${record.row.state}`);
    powered.table.remove(index);
    this.changed();
    // The table on disk is history, not state: if this save fails the row merely reappears after a restart.
    powered.table.save().catch(() => undefined);
    return true;
  }

  /** Where notifications go that no row names (bootCompleted among them); saved across restarts. */
  async setNotifyTarget(target: Endpoint | undefined): Promise<void> {
    const powered = this.powered;
    if (!powered || !this.isAnswering) throw new OperationRejected('notAnswering', 'the device is not answering (off or booting)');
    if (target !== undefined) {
      const problems = endpointProblems('notify target', target);
      if (problems.length > 0) throw new OperationRejected('invalid', problems.join('; '));
    }
    powered.state.notifyTarget = target && { address: target.address, port: target.port };
    this.changed();
    await powered.stateWriter.write();
  }

  /** Resolves when no operation runs and nothing is being written (for orderly shutdowns and tests). */
  async idle(): Promise<void> {
    const powered = this.powered;
    if (powered) await this.settle(powered);
  }

  // ------------------------------------------------------------------ power

  private async powerOn(): Promise<void> {
    const bankDir = this.banksStore.directory;
    const configDir = this.configStore.directory;
    for (const dir of [this.stateDir, bankDir, configDir]) {
      await mkdir(dir, { recursive: true });
      // An interrupted atomic write leaves only its temporary file; the file it was replacing is whole.
      await removeLeftoverTempFiles(dir);
    }
    let state = await this.loadState();
    const contents = { bankA: await this.banksStore.inspect('bankA'), bankB: await this.banksStore.inspect('bankB') };
    state = reconcileBanks(state, contents);
    const table = new OperationTable(this.stateDir, this.options.maxFinishedOperations ?? defaultMaxFinishedOperations, this.flush);
    const powered: Powered = {
      state,
      stateWriter: new SerialWriter(this.statePath, () => renderState(powered.state), this.flush),
      contents,
      running: undefined as unknown as RunningConfig,
      table,
      bootTime: new Date(),
      power: new AbortController(),
      inFlight: undefined,
      services: servicesAtBoot(this.portNames),
    };
    await table.load(new Date());
    await this.boot(powered, 'powerOn', 0);
    powered.running = await this.loadConfig(powered);
    this.powered = powered;
    this.isAnswering = true;
    this.changed();
    this.emit('bootCompleted', this.status());
  }

  /** state.json, or the factory state written for a device that has never finished its first start. */
  private async loadState(): Promise<DeviceState> {
    const text = await readFileIfExists(this.statePath);
    if (text !== undefined) return parseState(text.toString('utf8'));
    const header = readImage(this.options.factoryImage, { trustedKeys: this.options.trustedKeys, model: this.model }).header;
    await this.banksStore.write('bankA', this.options.factoryImage, header);
    await this.banksStore.erase('bankB');
    await this.configStore.write(factoryConfig({ model: this.model, serial: this.serial, format: this.options.initialConfigFormat ?? header.configFormat }));
    // state.json comes last: until it exists, a start is a first start and redoes all of the above.
    const state = factoryState();
    const writer = new SerialWriter(this.statePath, () => renderState(state), this.flush);
    await writer.write();
    return state;
  }

  private async loadConfig(powered: Powered): Promise<RunningConfig> {
    const loaded = await this.configStore.load();
    if (loaded.kind === 'loaded') return loaded.running;
    // Only damage from outside the device gets here (writes are atomic); the unit comes up with its
    // factory configuration, and an unreadable file is kept aside for the operator.
    if (loaded.kind === 'unreadable') await this.configStore.setAside();
    const format = this.bankOf(powered, powered.state.activeBank).configFormat;
    return this.configStore.write(factoryConfig({ model: this.model, serial: this.serial, format }));
  }

  /**
   * Boots nextBootBank (or falls back) and saves the outcome. The boot counter is saved first, so a
   * boot cut short by a power cut still counts against the bank.
   */
  private async boot(powered: Powered, cause: BootCause, downtimeMs: number): Promise<BootResult> {
    const check = (): void => {
      if (powered.power.signal.aborted) throw new PowerLost();
    };
    if (downtimeMs > 0) this.isAnswering = false;
    powered.state = beginBoot(powered.state);
    this.changed();
    await powered.stateWriter.write();
    check();
    if (downtimeMs > 0) await sleep(downtimeMs, powered.power.signal);
    // Like a boot loader, look at what the banks really hold now.
    powered.contents = { bankA: await this.banksStore.inspect('bankA'), bankB: await this.banksStore.inspect('bankB') };
    this.changed();
    check();
    const marked = powered.state.nextBootBank;
    const newSoftware = powered.state.banks[marked].fresh;
    const result = resolveBoot({
      state: reconcileBanks(powered.state, powered.contents),
      banks: { bankA: this.bankOf(powered, 'bankA'), bankB: this.bankOf(powered, 'bankB') },
      cause,
      start: (bank) => this.startSoftware(powered, bank),
      maxBootAttempts: this.options.maxBootAttempts ?? defaultMaxBootAttempts,
    });
    powered.state = result.state;
    this.changed();
    await powered.stateWriter.write();
    check();
    powered.bootTime = new Date();
    const portDown = newSoftware && result.markedBooted ? this.injector.takePortDownAfterUpgrade() : undefined;
    powered.services = servicesAtBoot(this.portNames, new Set(portDown ? [portDown] : []));
    this.changed();
    if (powered === this.powered) {
      this.isAnswering = true;
      this.emit('bootCompleted', this.status());
    }
    return result;
  }

  /** Whether the software of a valid bank starts: undefined when it does, else why not. */
  private startSoftware(powered: Powered, bank: Bank): string | undefined {
    const content = powered.contents[bank];
    if (content.kind !== 'image') return 'holds no image';
    if (!isBootable(content.header)) return `version ${content.header.version} did not start (image marked not bootable)`;
    if (powered.state.banks[bank].fresh && this.injector.takeFailedBoot()) return `version ${content.header.version} did not start (injected fault)`;
    return undefined;
  }

  /** The power goes: operations are cut off and everything in memory is lost. */
  private cutPower(powered: Powered): void {
    powered.power.abort();
    if (this.powered === powered) this.powered = undefined;
    this.isAnswering = false;
    this.changed();
  }

  /** A power cut the fault plan ordered: the device comes back from disk after powerOffMs. */
  private losePower(powered: Powered, powerOffMs: number): void {
    this.cutPower(powered);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      // Let the cut-off operation unwind (its last write, if any, lands whole or not at all) before
      // reading the disk again, as a real unit only reads its flash once the power is back.
      this.poweringOn ??= this.settle(powered)
        .then(() => this.powerOn())
        .finally(() => {
          this.poweringOn = undefined;
        });
      this.poweringOn.catch((error: unknown) => {
        this.powerOnFailure = error as Error;
      });
    }, powerOffMs);
  }

  private async settle(powered: Powered): Promise<void> {
    await powered.inFlight;
    await powered.table.settled();
    await powered.stateWriter.settled();
  }

  private requirePower(): Powered {
    if (!this.powered) throw new Error(`device ${this.serial} is off`);
    return this.powered;
  }

  private bankOf(powered: Powered, bank: Bank): BankStatus {
    return bankStatus(bank, powered.state.banks[bank].state, powered.contents[bank]);
  }

  // ------------------------------------------------------------------ operations

  private async run(powered: Powered, record: OperationRecord): Promise<void> {
    const row = record.row;
    try {
      await powered.table.save();
      if (powered.power.signal.aborted) return;
      row.state = 'running';
      this.changed();
      this.emit('operationProgress', copyRow(row));
      await runners[row.request.type](this.contextFor(powered, record), this.options.rebootMs);
      row.progress = 100;
      this.finish(row, 'successful');
    } catch (error) {
      if (powered.power.signal.aborted) return;
      if (error instanceof OperationFailure) this.finish(row, 'failed', error.failCause, error.message);
      else this.finish(row, 'failed', 'unknown', (error as Error).message);
    } finally {
      record.password = '';
    }
    // The row's end is announced only once it is on disk: a manager must never hear of a success the
    // device could forget in a power cut.
    try {
      await powered.table.save();
    } catch {
      // The row stays final in memory; a later save (or a restart's powerLoss marking) settles the disk.
    }
    // Saving dropped the oldest finished rows beyond the table's limit.
    this.changed();
    if (powered.power.signal.aborted) return;
    this.emit('operationCompleted', copyRow(row));
  }

  private finish(row: Operation, state: 'successful' | 'failed', failCause: Operation['failCause'] = 'none', failMessage = ''): void {
    row.state = state;
    row.failCause = failCause;
    row.failMessage = failMessage.slice(0, 255);
    row.finishedAt = new Date();
    this.changed();
  }

  private contextFor(powered: Powered, record: OperationRecord): OperationContext {
    const row = record.row;
    const checkPower = (): void => {
      if (powered.power.signal.aborted) throw new PowerLost();
    };
    return {
      request: { ...row.request, password: record.password },
      model: this.model,
      address: this.address,
      rebootRequired: this.rebootRequired,
      maxImageBytes: this.maxImageBytes,
      maxConfigBytes: this.options.maxConfigBytes ?? 1024 * 1024,
      configText: this.options.configText,
      transfer: this.transfer,
      faults: this.injector,
      signal: powered.power.signal,
      checkPower,
      step: (percent) => {
        checkPower();
        const powerOffMs = this.injector.takePowerLoss(row.request.type, percent);
        if (powerOffMs !== undefined) {
          this.losePower(powered, powerOffMs);
          throw new PowerLost();
        }
        const progress = Math.min(100, Math.floor(percent));
        if (progress <= row.progress) return;
        row.progress = progress;
        this.changed();
        this.emit('operationProgress', copyRow(row));
      },
      sleep: (ms) => sleep(ms, powered.power.signal),
      state: () => powered.state,
      bank: (bank) => this.bankOf(powered, bank),
      running: () => powered.running,
      verifyImage: (image): ImageHeader => readImage(image, { trustedKeys: this.options.trustedKeys, model: this.model }).header,
      updateState: async (change) => {
        checkPower();
        change(powered.state);
        this.changed();
        await powered.stateWriter.write();
        checkPower();
      },
      writeBank: async (bank, image, header) => {
        checkPower();
        powered.contents[bank] = await this.banksStore.write(bank, image, header);
        this.changed();
        checkPower();
      },
      readBank: async (bank) => {
        checkPower();
        const image = await this.banksStore.read(bank);
        checkPower();
        return image;
      },
      writeConfig: async (config) => {
        checkPower();
        const running = await this.configStore.write(config);
        checkPower();
        powered.running = running;
        this.changed();
      },
      boot: (cause, downtimeMs) => this.boot(powered, cause, downtimeMs),
    };
  }
}

/** The state.json bank records squared with what the bank files hold. */
function reconcileBanks(state: DeviceState, contents: Record<Bank, BankContent>): DeviceState {
  const next = { ...state, banks: { ...state.banks } };
  for (const bank of banks) {
    const content = contents[bank];
    const recorded = state.banks[bank];
    if (content.kind === 'empty') next.banks[bank] = { state: 'empty', fresh: false };
    else if (content.kind === 'unreadable' || recorded.state !== 'valid') next.banks[bank] = { state: 'invalid', fresh: false };
  }
  return next;
}

function describe(row: Operation): string {
  const file = movesAFile(row.request.type) ? ` ${row.request.fileName} from ${row.request.server?.address}` : '';
  return `${row.request.type}${file}`;
}

async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch {
    throw new PowerLost();
  }
}
