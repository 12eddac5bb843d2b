// For tests that SIGKILL `safeflash serve`: fixed ports that a restarted manager takes again (devices
// keep sending to them), the embedded PostgreSQL a killed manager leaves behind (found by its data
// directory), and a connection to the manager's own database for what only a crash can leave there.
import { createSocket } from 'node:dgram';
import { chmodSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Fleet } from '../../src/agent/fleet.ts';
import type { FaultPlan } from '../../src/agent/faults.ts';
import { vendorKeyPrefix } from '../../src/agent/vendor-key.ts';
import { keyPairFiles } from '../../src/protocol/keys.ts';
import pg from 'pg';
import { testUser } from './snmp-device.ts';
import { startLoopbackFleet } from './loopback-lab.ts';
import { DeviceDriver } from '../../src/manager/device-driver.ts';
import type { DeviceReading } from '../../src/families/family.ts';
import type { Operation } from '../../src/protocol/safeflash-mib/operation-row.ts';
import type { OperationType } from '../../src/protocol/vocabulary.ts';
import { v3 } from './snmp-device.ts';

export { labModel } from './loopback-lab.ts';

/** A port free now on `address`, for a service that must come back on the same port after a restart. */
export function freePort(address: string, transport: 'tcp' | 'udp'): Promise<number> {
  return new Promise((done, reject) => {
    if (transport === 'udp') {
      const socket = createSocket('udp4');
      socket.once('error', reject);
      socket.bind(0, address, () => {
        const { port } = socket.address();
        socket.close(() => done(port));
      });
      return;
    }
    const server = createServer();
    server.once('error', reject);
    server.listen(0, address, () => {
      const bound = server.address();
      server.close(() => (typeof bound === 'object' && bound ? done(bound.port) : reject(new Error('no port'))));
    });
  });
}

/** Where `safeflash serve --data-dir D` keeps its PostgreSQL cluster (src/manager/store/database.ts). */
export function clusterDir(dataDir: string): string {
  return join(resolve(dataDir), 'postgres', 'cluster');
}

/** Live postgres processes whose command line serves this data directory's cluster (postmaster and children). */
export function postgresPids(dataDir: string): number[] {
  const cluster = clusterDir(dataDir);
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let command: string[];
    try {
      command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone meanwhile
    }
    const d = command.indexOf('-D');
    if (/postgres/.test(command[0] ?? '') && d >= 0 && resolve(command[d + 1] ?? '') === cluster) pids.push(Number(entry));
  }
  return pids;
}

/** Cleanup after a test: stops whatever PostgreSQL still serves the data directory, waiting a bounded time. */
export async function killPostgres(dataDir: string): Promise<void> {
  for (const pid of postgresPids(dataDir)) {
    try {
      process.kill(pid, 'SIGQUIT');
    } catch {
      // already gone
    }
  }
  for (let waited = 0; postgresPids(dataDir).length > 0 && waited < 10_000; waited += 100) await sleep(100);
}

/** A pool on the running manager's embedded database, from the password file and postmaster.pid beside its cluster. */
export function managerDatabase(dataDir: string): pg.Pool {
  const password = readFileSync(join(resolve(dataDir), 'postgres', 'safeflash-password'), 'utf8').trim();
  // postmaster.pid: pid, data directory, start time, port, ...
  const port = Number(readFileSync(join(clusterDir(dataDir), 'postmaster.pid'), 'utf8').split('\n')[3]);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`no PostgreSQL port in ${clusterDir(dataDir)}/postmaster.pid`);
  const pool = new pg.Pool({ connectionString: `postgresql://safeflash:${encodeURIComponent(password)}@127.0.0.1:${port}/safeflash`, max: 2 });
  pool.on('error', () => {
    // The manager's PostgreSQL goes away with it; the test ends the pool itself.
  });
  return pool;
}

/** Polls `probe` until it returns a value, every `intervalMs`, at most `timeoutMs`; throws with `what` otherwise. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, intervalMs = 150): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) throw new Error(`gave up waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(intervalMs);
  }
}

/**
 * The virtual fleet of a test whose manager runs in another process: it lives in the test process so
 * that it outlives a manager that is killed. Devices trust the vendor key under `<dir>/vendor`.
 */
export function startLabFleet(options: {
  dir: string;
  devices: number;
  baseAddress: string;
  port: number;
  faults: (device: number) => FaultPlan;
}): Promise<Fleet> {
  // Reboots a little slower than the in-process labs': a kill must be able to land inside one.
  return startLoopbackFleet(options.dir, { ...options, rebootMs: 200 });
}

/** Where one test file's killed and restarted manager lives: a data directory, and addresses of its own. */
export interface KillLab {
  dir: string;
  dataDir: string;
  /** The third octet that sets this file's addresses apart from another run's. */
  third: number;
  devicePort: number;
  address(n: number): string;
  deviceName(n: number): string;
  managerAddress: string;
  /** The CLI's SNMPv3 options for the lab devices. */
  credentials: string[];
}

/** A lab under 127.`second`.x.0/24, with a directory the embedded PostgreSQL (another user, as root) may enter. */
export function killLab(prefix: string, second: number): KillLab {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  const third = 1 + Math.floor(Math.random() * 250);
  const devicePort = 20000 + Math.floor(Math.random() * 20000);
  const address = (n: number) => `127.${second}.${third}.${n}`;
  return {
    dir,
    dataDir: join(dir, 'manager'),
    third,
    devicePort,
    address,
    deviceName: (n) => `${address(n)}:${devicePort}`,
    managerAddress: address(200),
    credentials: ['--v3-user', testUser.name, '--auth-key', testUser.authKey, '--priv-key', testUser.privKey],
  };
}

/**
 * `safeflash serve` arguments a restarted manager takes again: fixed ports for what devices send to,
 * and for the API too when `fixedApi` (a command that follows runs finds the manager there again).
 */
export function restartableServeArgs(lab: KillLab, fixedApi: boolean): Promise<string[]> {
  return managerServeArgs({ at: lab.managerAddress, dataDir: lab.dataDir, vendorDir: join(lab.dir, 'vendor'), fixedApi });
}

export interface ManagerServeOptions {
  /** The manager's one loopback address: API, notification receiver, TFTP and FTP. */
  at: string;
  dataDir: string;
  /** Where the lab's vendor key is: images signed with it are trusted. */
  vendorDir: string;
  /** A fixed API port too (a command that follows runs finds the manager there again after a restart). */
  fixedApi?: boolean;
  /** A shared PostgreSQL, with short heartbeats for tests of several managers. */
  shared?: { databaseUrl: string; heartbeatSeconds: number; deadAfterSeconds: number };
  /**
   * File server ports of the manager's own choosing: managers whose devices cannot name a port (IOS
   * routers and cable modems ask the protocols' own) must all serve files on the ports devices know.
   */
  filePorts?: { tftp: number; ftp: number };
}

/** `safeflash serve` arguments that a restarted manager takes again: fixed ports for what devices send to. */
export async function managerServeArgs(options: ManagerServeOptions): Promise<string[]> {
  const { at, shared } = options;
  return [
    // Managers sharing a database share its secrets key: one file beside the lab's vendor key.
    ...(shared
      ? [
          ...[
            '--database-url',
            shared.databaseUrl,
            '--heartbeat-seconds',
            String(shared.heartbeatSeconds),
            '--dead-after-seconds',
            String(shared.deadAfterSeconds),
          ],
          ...['--secrets-key', join(options.vendorDir, '..', 'shared-secrets.key')],
        ]
      : []),
    '--data-dir',
    options.dataDir,
    '--http-address',
    at,
    '--http-port',
    options.fixedApi ? String(await freePort(at, 'tcp')) : '0',
    '--snmp-address',
    at,
    '--snmp-port',
    String(await freePort(at, 'udp')),
    '--tftp-address',
    at,
    '--tftp-port',
    String(options.filePorts?.tftp ?? (await freePort(at, 'udp'))),
    '--ftp-address',
    at,
    '--ftp-port',
    String(options.filePorts?.ftp ?? (await freePort(at, 'tcp'))),
    '--snmp-user',
    `${testUser.name}:${testUser.authKey}:${testUser.privKey}`,
    '--trusted-key',
    keyPairFiles(vendorKeyPrefix(options.vendorDir)).publicKeyFile,
  ];
}

/** Reads lab device `n` over SNMP, as the manager does. */
export async function readLabDevice(lab: Pick<KillLab, 'address' | 'devicePort'>, n: number): Promise<DeviceReading> {
  const driver = new DeviceDriver({ endpoint: { address: lab.address(n), port: lab.devicePort }, security: v3, sourceAddress: '127.0.0.1' });
  try {
    return await driver.read();
  } finally {
    driver.close();
  }
}

/** Device `n`'s operation of this type that is under way and has made progress, once there is one. */
export function runningOperation(fleet: Fleet, n: number, type: OperationType): Operation | undefined {
  return fleet.members[n - 1]!.device.operations().find((op) => op.request.type === type && op.state === 'running' && op.progress > 0);
}
