// `safeflash serve` and the operator's commands as child processes: a taken port is refused before
// anything starts, commands exit 0/1/2 as documented, credentials are never printed, and the manager
// stops cleanly on SIGTERM.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, startServe, type ServeProcess } from '../helpers/cli-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'sf-cli-'));
chmodSync(dir, 0o755);
const secret = 'sekret-community-77';

after(() => rmSync(dir, { recursive: true, force: true }));

function listenTcp(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

describe('serve refuses a taken port', () => {
  test('TCP port of the HTTP API', async () => {
    const taken = await listenTcp();
    const port = (taken.address() as { port: number }).port;
    const dataDir = join(dir, 'refused-http');
    try {
      const result = await runCli(['serve', '--data-dir', dataDir, '--http-port', String(port), '--snmp-port', '0', '--tftp-port', '0', '--ftp-port', '0']);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`HTTP API cannot listen on TCP 127\\.0\\.0\\.1:${port}: the port is taken.*--http-port`));
      assert.ok(!existsSync(join(dataDir, 'postgres')), 'nothing heavy started');
    } finally {
      taken.close();
    }
  });

  test('UDP port of the notification receiver', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const port = socket.address().port;
    try {
      const result = await runCli([
        'serve',
        '--data-dir',
        join(dir, 'refused-snmp'),
        '--http-port',
        '0',
        '--snmp-port',
        String(port),
        '--tftp-port',
        '0',
        '--ftp-port',
        '0',
      ]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`notification receiver cannot listen on UDP 127\\.0\\.0\\.1:${port}.*--snmp-port`));
    } finally {
      socket.close();
    }
  });

  test('bad options are usage errors', async () => {
    assert.equal((await runCli(['serve', '--http-address', '10.0.0.1.5'])).code, 2);
    assert.equal((await runCli(['serve', '--http-port', '70000'])).code, 2);
    assert.equal((await runCli(['serve', '--snmp-user', 'only-a-name'])).code, 2);
  });
});

describe('commands against a running manager', () => {
  let serve: ServeProcess;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, { env });

  before(async () => {
    serve = await startServe(['--data-dir', join(dir, 'manager'), '--http-port', '0', '--snmp-port', '0', '--tftp-port', '0', '--ftp-port', '0']);
    env = serve.env;
  });

  after(async () => {
    await serve?.stop('SIGKILL');
  });

  test('--help exits 0', async () => {
    for (const command of [[], ['device', 'discover'], ['upgrade'], ['runs', 'show'], ['decide'], ['backups', 'list']]) {
      const result = await cli(...command, '--help');
      assert.equal(result.code, 0, `${command.join(' ')}: ${result.stderr}`);
      assert.match(result.stdout, /Usage: safeflash/);
    }
  });

  test('device add, list, remove: exit codes, and the community is never printed', async () => {
    const added = await cli('device', 'add', '127.0.8.1', '--community', secret, '--name', 'lab-1', '--tag', 'lab');
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /added lab-1 \(id \d+\) at 127\.0\.8\.1:16100, SNMPv2c/);
    const list = await cli('device', 'list', '--json');
    assert.equal(list.code, 0, list.stderr);
    const devices = JSON.parse(list.stdout) as Array<{ name: string }>;
    assert.deepEqual(
      devices.map((d) => d.name),
      ['lab-1'],
    );
    const table = await cli('device', 'list');
    assert.match(table.stdout, /lab-1\s+127\.0\.8\.1:16100\s+v2c/);
    for (const output of [added, list, table]) assert.ok(!(output.stdout + output.stderr).includes(secret));

    const duplicate = await cli('device', 'add', '127.0.8.1', '--community', secret);
    assert.equal(duplicate.code, 1, 'the work was refused: already in the inventory');
    assert.match(duplicate.stderr, /already in the inventory/);
    const foreign = await cli('device', 'add', '10.1.1.1');
    assert.equal(foreign.code, 2);
    assert.match(foreign.stderr, /10\.1\.1\.1 is outside the networks this manager may talk to.*--allow-networks/);
    assert.equal((await cli('device', 'add', '127.0.8.2', '--port', '0')).code, 2);
    assert.equal((await cli('device', 'add', '127.0.8.2', '--community', 'c', '--v3-user', 'u')).code, 2);
    assert.equal((await cli('device', 'remove', 'no-such-device')).code, 2);
    const removed = await cli('device', 'remove', 'lab-1');
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(JSON.parse((await cli('device', 'list', '--json')).stdout).length, 0);
  });

  test('device import: a bad file adds nothing (exit 2), a good one adds all', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'address,name\n127.0.8.10,ok-1\n127.0.8.11,\n300.1.1.1,bad\n');
    const refused = await cli('device', 'import', bad);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /line 4: address must be an IPv4 or IPv6 address/);
    assert.equal(JSON.parse((await cli('device', 'list', '--json')).stdout).length, 0);

    const good = join(dir, 'good.yaml');
    writeFileSync(good, `- address: 127.0.8.10\n  name: ok-1\n  community: ${secret}\n- address: 127.0.8.11\n`);
    const imported = await cli('device', 'import', good);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /imported 2 devices/);
    assert.ok(!imported.stdout.includes(secret));
    const unknownFormat = join(dir, 'devices.txt');
    writeFileSync(unknownFormat, 'address\n127.0.8.12\n');
    assert.equal((await cli('device', 'import', unknownFormat)).code, 2);
    assert.equal((await cli('device', 'import', join(dir, 'missing.csv'))).code, 1);
  });

  test('images need a trusted key: the refusal says how to add one', async () => {
    const file = join(dir, 'some.sfimg');
    writeFileSync(file, 'not really an image');
    const result = await cli('image', 'add', file);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /--trusted-key/);
    assert.equal((await cli('image', 'list')).code, 0);
  });

  test('runs, decisions, backups, upgrades of unknown things exit 2', async () => {
    const runs = await cli('runs', 'list');
    assert.equal(runs.code, 0, runs.stderr);
    assert.match(runs.stdout, /no runs/);
    assert.equal((await cli('runs', 'list', '--json')).stdout.trim(), '[]');
    assert.equal((await cli('runs', 'show', 'run-999999')).code, 2);
    assert.equal((await cli('decide', 'run-999999', 'retry')).code, 2);
    assert.equal((await cli('decide', 'run-999999', 'maybe')).code, 2);
    assert.equal((await cli('decide', 'run-999999', 'abort', '--image', 'x.sfimg')).code, 2);
    assert.equal((await cli('upgrade', 'ok-1', '--image', '0'.repeat(64))).code, 2);
    assert.equal((await cli('upgrade', 'no-such-device', '--image', '0'.repeat(64))).code, 2);
    assert.equal((await cli('upgrade', 'ok-1', '--image', '0'.repeat(64), '--policy', 'retry=lots')).code, 2);
    assert.equal((await cli('backup', 'no-such-device')).code, 2);
    const backups = await cli('backups', 'list', 'ok-1', '--json');
    assert.equal(backups.code, 0, backups.stderr);
    assert.deepEqual(JSON.parse(backups.stdout), []);
  });

  test('an unreachable manager is a failure (1), a malformed --server a usage error (2)', async () => {
    const unreachable = await runCli(['device', 'list', '--server', 'http://127.0.0.1:1', '--token', serve.token]);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /cannot reach the manager/);
    assert.equal((await runCli(['device', 'list', '--server', 'not a url'])).code, 2);
  });

  test('SIGTERM stops the manager cleanly: exit 0, PostgreSQL stopped', async () => {
    const code = await serve.stop('SIGTERM');
    assert.equal(code, 0, serve.stderr());
    assert.ok(!existsSync(join(dir, 'manager', 'postgres', 'cluster', 'postmaster.pid')), 'PostgreSQL stopped');
  });
});
