// The manager's own PostgreSQL: a live owner's cluster is never touched, a SIGKILLed owner's orphan is
// stopped before a new server starts, and stop leaves no server behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/manager/database/embedded-postgres.ts';

const holder = new URL('../helpers/hold-embedded-postgres.ts', import.meta.url).pathname;

/**
 * Pids of the postgres servers (postmasters) whose command line names this cluster. A server's children
 * carry the same command line until they retitle themselves, so only processes whose parent is not
 * one of them count.
 */
function serversOf(cluster: string): number[] {
  const processes = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        if (!/postgres$/.test(command[0] ?? '') || !command.includes(cluster)) return [];
        // /proc/PID/stat: "pid (comm) state ppid ...": the parent is the second field after the name.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return [{ pid: Number(pid), parent }];
      } catch {
        return [];
      }
    });
  const pids = new Set(processes.map((p) => p.pid));
  return processes.filter((p) => !pids.has(p.parent)).map((p) => p.pid);
}

test('a cluster held by a live process is refused; after that process is SIGKILLed it is taken over', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'sf-pg-'));
  chmodSync(directory, 0o755);
  const child = spawn(process.execPath, ['--import', 'tsx', holder, directory], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((ready, fail) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && ready());
      child.once('exit', (code) => fail(new Error(`holder exited with ${code}`)));
    });
    await assert.rejects(startEmbeddedPostgres({ directory }), /in use by process \d+/);
    assert.equal(serversOf(join(directory, 'cluster')).length, 1, 'the refused start left the running server alone');

    child.kill('SIGKILL');
    await new Promise((done) => child.once('exit', done));
    assert.equal(serversOf(join(directory, 'cluster')).length, 1, 'the server outlives its killed owner');

    const database = await startEmbeddedPostgres({ directory });
    const client = new pg.Client(database.url);
    await client.connect();
    assert.equal((await client.query('SELECT 41 + 1 AS answer')).rows[0].answer, 42);
    await client.end();
    await database.stop();
    assert.deepEqual(serversOf(join(directory, 'cluster')), []);
  } finally {
    child.kill('SIGKILL');
    for (const pid of serversOf(join(directory, 'cluster'))) process.kill(pid, 'SIGKILL');
    rmSync(directory, { recursive: true, force: true });
  }
});

/** How a connection made with `url` reaches the server: through a Unix socket (no client address) or TCP. */
async function transportOf(url: string): Promise<'unix' | 'tcp'> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    const { rows } = await client.query('SELECT inet_client_addr() AS address');
    return rows[0].address === null ? 'unix' : 'tcp';
  } finally {
    await client.end();
  }
}

test("the manager's URL takes the Unix socket in the cluster; a data directory too deep for one gets TCP, and both keep 127.0.0.1", async () => {
  const shallow = mkdtempSync(join(tmpdir(), 'sf-pg-'));
  const parent = mkdtempSync(join(tmpdir(), 'sf-pg-'));
  chmodSync(parent, 0o755); // as root, PostgreSQL's own user must be able to pass through it
  // sun_path holds 107 bytes: this cluster's socket path would be longer.
  const deep = join(parent, 'd'.repeat(100));
  try {
    for (const [directory, expected] of [
      [shallow, 'unix'],
      [deep, 'tcp'],
    ] as const) {
      const database = await startEmbeddedPostgres({ directory });
      try {
        assert.equal(await transportOf(database.url), expected, directory);
        const tcp = new URL(database.url);
        tcp.search = '';
        assert.equal(tcp.hostname, '127.0.0.1');
        assert.equal(await transportOf(tcp.toString()), 'tcp');
      } finally {
        await database.stop();
      }
    }
  } finally {
    for (const directory of [shallow, parent]) rmSync(directory, { recursive: true, force: true });
  }
});
