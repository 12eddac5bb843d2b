// What both fleet benchmarks stand on: a temporary directory, the virtual fleet (`safeflash-agent`, its
// own process) and the manager (`safeflash serve`, its own process with its embedded PostgreSQL), the
// devices discovered over SNMP, and a signed image of a chosen size whose software expects
// configuration format 2 (so every run backs up, upgrades, migrates 1 -> 2, restores and verifies).
// Everything it starts is stopped and the directory removed by cleanUp(), also on SIGINT/SIGTERM.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureVendorSoftware, factoryImagePath, vendorKeyPrefix } from '../../src/agent/vendor-key.ts';
import { operatorTokenFile } from '../../src/manager/startup/operator-token.ts';
import { packImage } from '../../src/protocol/image.ts';
import { keyPairFiles, readPrivateKey } from '../../src/protocol/keys.ts';
import { ManagerApi, type DeviceJson } from './api.ts';
import { startChild, type BenchChild } from './child-process.ts';
import { startSharedPostgres, type SharedPostgres } from '../../test/helpers/shared-database-postgres.ts';

export const benchModel = 'IAD-2400';
const root = resolve(import.meta.dirname, '..', '..');
const agentBin = join(root, 'bin', 'safeflash-agent.js');
const managerBin = join(root, 'bin', 'safeflash.js');

export interface BedOptions {
  devices: number;
  /** Address of device 1: the `.1` of a block aligned to the discovery block (e.g. 127.30.0.1). */
  baseAddress: string;
  rebootMs: number;
  /** Where the manager writes a V8 CPU profile when it stops, if anywhere. */
  managerProfileDir?: string;
  /** Where the fleet agent writes a V8 CPU profile when it stops, if anywhere. */
  fleetProfileDir?: string;
  /** Node.js flags of both children besides those (--perf: perf's function maps). */
  nodeFlags?: string[];
  note: (text: string) => void;
}

function toNumber(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function toAddress(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/**
 * The smallest CIDR block starting just below `base` that holds `count` host addresses (its network and
 * broadcast addresses are not hosts): discovery then asks few addresses where no device answers, each
 * of which costs a full time limit.
 */
export function discoveryBlock(base: string, count: number): string {
  const network = toNumber(base) - 1;
  for (let prefix = 30; prefix >= 16; prefix--) {
    const size = 2 ** (32 - prefix);
    if (size - 2 < count) continue;
    if (network % size !== 0) break;
    return `${toAddress(network)}/${prefix}`;
  }
  throw new RangeError(`${count} devices from ${base} fit no block discovery can scan (a /16 at most, aligned below the base address)`);
}

export class BenchBed {
  readonly dir = mkdtempSync(join(tmpdir(), 'sf-bench-fleet-'));
  readonly block: string;
  private readonly children: BenchChild[] = [];
  /** What else cleanUp() stops, after the children: the shared PostgreSQL server. */
  private readonly stops: Array<() => Promise<void>> = [];
  private cleaned = false;

  constructor(private readonly options: BedOptions) {
    this.block = discoveryBlock(options.baseAddress, options.devices);
    // PostgreSQL runs as a dedicated user when we are root: it must be able to reach its data directory.
    chmodSync(this.dir, 0o755);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        options.note(`${signal}: cleaning up`);
        void this.cleanUp().finally(() => process.exit(130));
      });
    }
  }

  async startFleet(): Promise<{ fleet: BenchChild; port: number; trustedKey: string }> {
    const { devices, baseAddress, rebootMs } = this.options;
    const vendorDir = join(this.dir, 'vendor');
    ensureVendorSoftware(vendorDir, benchModel);
    const trustedKey = keyPairFiles(vendorKeyPrefix(vendorDir)).publicKeyFile;
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const profileDir = this.options.fleetProfileDir;
    const fleet = startChild(
      'fleet',
      [
        ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(profileDir)}`] : []),
        ...(this.options.nodeFlags ?? []),
        agentBin,
        '--devices',
        String(devices),
        '--base-address',
        baseAddress,
        '--port',
        String(port),
        '--state-dir',
        join(this.dir, 'fleet'),
        '--model',
        benchModel,
        '--reboot-ms',
        String(rebootMs),
        // Virtual devices on a test host: their power cuts leave the page cache standing (--help says more).
        '--no-flush-writes',
        '--trusted-key',
        trustedKey,
        '--factory-image',
        factoryImagePath(vendorDir, benchModel),
        '--json',
      ],
      join(this.dir, 'fleet.log'),
    );
    this.children.push(fleet);
    await fleet.waitFor(/"event":"ready"/, 60_000 + 100 * devices);
    return { fleet, port, trustedKey };
  }

  /** A PostgreSQL server several managers share (--managers N); stopped by cleanUp(). */
  async startSharedDatabase(): Promise<SharedPostgres> {
    const server = await startSharedPostgres(join(this.dir, 'postgres'), 'safeflash');
    this.stops.push(() => server.stop());
    return server;
  }

  /** Manager `index` (0 when alone): with `databaseUrl`, one of several on that database. */
  async startManager(trustedKey: string, shared?: { databaseUrl: string; index: number }): Promise<{ manager: BenchChild; api: ManagerApi; dataDir: string }> {
    const profileDir = this.options.managerProfileDir;
    const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(profileDir)}`] : [];
    const name = shared ? `manager-${shared.index}` : 'manager';
    const dataDir = join(this.dir, name);
    const manager = startChild(
      name,
      [
        ...profile,
        ...(this.options.nodeFlags ?? []),
        managerBin,
        'serve',
        // Managers sharing a database share its secrets key.
        ...(shared ? ['--database-url', shared.databaseUrl, '--secrets-key', join(this.dir, 'shared-secrets.key')] : []),
        '--data-dir',
        dataDir,
        '--http-port',
        '0',
        '--snmp-port',
        '0',
        '--tftp-port',
        '0',
        '--ftp-port',
        '0',
        '--trusted-key',
        trustedKey,
      ],
      join(this.dir, `${name}.log`),
    );
    this.children.push(manager);
    const match = await manager.waitFor(/API (http:\/\/[0-9.]+:[0-9]+)/, 120_000);
    // The manager writes its first operator token there before its API listens.
    const token = readFileSync(operatorTokenFile(dataDir), 'utf8').trim();
    return { manager, api: new ManagerApi(match[1]!, token), dataDir };
  }

  /**
   * Discovery until every device is in the inventory: on a loaded machine some SNMPv3 first contacts
   * (engine discovery, then the read) miss their time limit, and a repeated discovery adds only those.
   */
  async discover(api: ManagerApi, port: number): Promise<DeviceJson[]> {
    type Report = { found: Array<{ device: DeviceJson; added: boolean }>; unreadable: unknown[] };
    const attempts = 4;
    for (let attempt = 1; ; attempt++) {
      const report = await api.call<Report>('POST', '/api/devices/discover', {
        json: { cidr: this.block, port, concurrency: 256, timeoutMs: 3000 * attempt },
        timeoutMs: 1_800_000,
      });
      const inventory = await api.call<DeviceJson[]>('GET', '/api/devices');
      if (inventory.length === this.options.devices) return inventory;
      const message = `discovery ${attempt}: ${report.found.length} answered, ${inventory.length} of ${this.options.devices} devices in the inventory (${report.unreadable.length} unreadable)`;
      if (attempt === attempts) throw new Error(message);
      this.options.note(`${message}; again with a longer time limit`);
    }
  }

  /** A signed image of `bytes` random bytes, version 2.0.0, expecting configuration format 2. */
  signedImage(bytes: number): Buffer {
    const key = readPrivateKey(keyPairFiles(vendorKeyPrefix(join(this.dir, 'vendor'))).privateKeyFile);
    const image = packImage({ model: benchModel, version: '2.0.0', configFormat: 2 }, randomBytes(bytes), key);
    writeFileSync(join(this.dir, 'upgrade.sfimg'), image);
    return image;
  }

  tails(lines: number): string {
    return this.children.map((child) => `--- last lines of ${child.name}'s log:\n${child.tail(lines)}`).join('\n');
  }

  async cleanUp(): Promise<void> {
    if (this.cleaned) return;
    this.cleaned = true;
    // The manager first: its orderly stop ends the runs' workflows and PostgreSQL.
    for (const child of [...this.children].reverse())
      await child.stop(30_000).catch((error: Error) => this.options.note(`stopping ${child.name}: ${error.message}`));
    for (const stop of this.stops) await stop().catch((error: Error) => this.options.note(`stopping PostgreSQL: ${error.message}`));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
