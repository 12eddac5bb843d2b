// Operator-facing options of `safeflash`, run as child processes: the embedded PostgreSQL on a chosen
// port (still on loopback), and `safeflash mib path` giving Net-SNMP's tools what SAFEFLASH-MIB needs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { oid } from '../../src/protocol/mib.ts';
import { runCli, startServe } from '../helpers/cli-process.ts';
import { missing } from '../helpers/tools.ts';

const dir = mkdtempSync(join(tmpdir(), 'sf-options-'));
chmodSync(dir, 0o755);
after(() => rmSync(dir, { recursive: true, force: true }));

function listenTcp(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** A TCP port free on 127.0.0.1 right now. */
async function freeTcpPort(): Promise<number> {
  const server = await listenTcp();
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

const quietPorts = ['--http-port', '0', '--snmp-port', '0', '--tftp-port', '0', '--ftp-port', '0'];

describe('serve --database-port', () => {
  test('the embedded PostgreSQL listens on the chosen port, on 127.0.0.1', async () => {
    const port = await freeTcpPort();
    const dataDir = join(dir, 'chosen-port');
    const serve = await startServe(['--data-dir', dataDir, '--database-port', String(port), ...quietPorts]);
    try {
      const password = readFileSync(join(dataDir, 'postgres', 'safeflash-password'), 'utf8').trim();
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'safeflash', password, database: 'safeflash' });
      await client.connect();
      try {
        const { rows } = await client.query<{ port: string; listen: string }>(
          "SELECT current_setting('port') AS port, current_setting('listen_addresses') AS listen",
        );
        assert.deepEqual(rows[0], { port: String(port), listen: '127.0.0.1' });
      } finally {
        await client.end();
      }
    } finally {
      assert.equal(await serve.stop(), 0, serve.stderr());
    }
  });

  test('a taken port is refused before anything starts, naming the option', async () => {
    const taken = await listenTcp();
    const port = (taken.address() as { port: number }).port;
    try {
      const result = await runCli(['serve', '--data-dir', join(dir, 'taken-port'), '--database-port', String(port), ...quietPorts]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`embedded PostgreSQL cannot listen on TCP 127\\.0\\.0\\.1:${port}: the port is taken.*--database-port`));
    } finally {
      taken.close();
    }
  });

  test('a port with a shared database, or out of range, is a usage error', async () => {
    assert.equal((await runCli(['serve', '--database-url', 'postgresql://u:p@127.0.0.1/db', '--database-port', '5433'])).code, 2);
    assert.equal((await runCli(['serve', '--database-port', '70000'])).code, 2);
  });
});

describe('serve --allow-networks', () => {
  test('devices there can be added (nothing is sent); others are refused naming the option', async () => {
    const serve = await startServe(['--data-dir', join(dir, 'allowed'), '--allow-networks', '192.0.2.0/24,2001:db8::/64', ...quietPorts]);
    const cli = (...args: string[]) => runCli(args, { env: serve.env });
    try {
      const added = await cli('device', 'add', '192.0.2.1', '--community', 'public', '--json');
      assert.equal(added.code, 0, added.stderr);
      assert.equal(JSON.parse(added.stdout).lastSeenAt, null, 'added, never read');
      assert.equal((await cli('device', 'add', '2001:db8::5', '--community', 'public')).code, 0);
      for (const refused of [await cli('device', 'add', '127.0.0.5'), await cli('device', 'discover', '198.51.100.0/24')]) {
        assert.equal(refused.code, 2, refused.stderr);
        assert.match(refused.stderr, /outside the networks this manager may talk to \(192\.0\.2\.0\/24, 2001:db8::\/64\).*--allow-networks/);
      }
    } finally {
      assert.equal(await serve.stop(), 0, serve.stderr());
    }
  });

  test('a network that is not one is a usage error', async () => {
    for (const value of ['192.0.2.1/24', '10.0.0.0/40', 'lab-net', '']) {
      const result = await runCli(['serve', '--data-dir', join(dir, 'bad-networks'), '--allow-networks', value, ...quietPorts]);
      assert.equal(result.code, 2, `${value}: ${result.stderr}`);
    }
  });
});

describe('safeflash mib path', () => {
  test('prints directories that hold SAFEFLASH-MIB and the SMIv2 base modules', async () => {
    const result = await runCli(['mib', 'path']);
    assert.equal(result.code, 0, result.stderr);
    const directories = result.stdout.trim().split(':');
    const files = directories.flatMap((d) => readdirSync(d));
    for (const module of ['SAFEFLASH-MIB.txt', 'INET-ADDRESS-MIB.txt', 'SNMPv2-SMI.mib', 'SNMPv2-TC.mib', 'SNMPv2-CONF.mib']) {
      assert.ok(files.includes(module), `${module} in ${result.stdout}`);
    }
  });

  test('snmptranslate -M "$(safeflash mib path)" resolves objects by name', { skip: missing('snmptranslate') }, async () => {
    const path = (await runCli(['mib', 'path'])).stdout.trim();
    for (const name of ['sfRunningVersion', 'sfOpRowStatus']) {
      const numeric = execFileSync('snmptranslate', ['-M', path, '-m', 'SAFEFLASH-MIB', '-On', `SAFEFLASH-MIB::${name}`], { encoding: 'utf8' }).trim();
      assert.equal(numeric, `.${oid(name)}`);
    }
  });
});
