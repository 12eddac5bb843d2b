// No secret in clear at rest: a manager upgrades a virtual device over FTP with known SNMPv3 keys (and
// keeps a v2c device with a known community), then every row of the safeflash and dbos schemas and
// every line the manager logged are searched for the keys, the community and the FTP passwords of the
// run's transfers. A row an earlier version kept in clear is sealed at the next start and still works
// (and the FTP passwords that version left in ended runs' journals are removed);
// a manager given another key, a key file others may read, or one of the wrong size is refused and
// changes nothing.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import type { Fleet } from '../../src/agent/fleet.ts';
import { vendorKeyPrefix } from '../../src/agent/vendor-key.ts';
import { SecretBox } from '../../src/manager/secrets/secret-box.ts';
import { keyPairFiles, readPrivateKey } from '../../src/protocol/keys.ts';
import { runCli, type ServeProcess, startServe } from '../helpers/cli-process.ts';
import { killPostgres, managerDatabase } from '../helpers/kill-manager.ts';
import { labImage, labModel, startLoopbackFleet } from '../helpers/loopback-lab.ts';
import { testUser } from '../helpers/snmp-device.ts';

const community = 'community-not-for-eyes-7731';
const quick = { retries: 1, backoffSeconds: 0.2, then: 'abort' } as const;
const policy = { preflight: quick, backup: quick, upgrade: quick, migrate: quick, restore: quick } as const;

let dir: string;
let dataDir: string;
let keyFile: string;
let manager: ServeProcess | undefined;
let fleet: Fleet;
let pool: pg.Pool | undefined;
/** What every manager started here logged (stdout) and said (stderr). */
const logs: string[] = [];

function serveArgs(): string[] {
  return [
    ...['--data-dir', dataDir, '--http-address', '127.0.0.1', '--http-port', '0', '--snmp-port', '0', '--tftp-port', '0', '--ftp-port', '0'],
    ...['--snmp-user', `${testUser.name}:${testUser.authKey}:${testUser.privKey}`, '--transport', 'ftp'],
    ...['--trusted-key', keyPairFiles(vendorKeyPrefix(join(dir, 'vendor'))).publicKeyFile],
  ];
}

async function start(): Promise<ServeProcess> {
  return startServe(serveArgs(), 90_000, { logs: true });
}

async function stop(): Promise<void> {
  await pool?.end();
  pool = undefined;
  if (!manager) return;
  assert.equal(await manager.stop(), 0);
  logs.push(manager.stdout(), manager.stderr());
  manager = undefined;
}

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${manager!.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${manager!.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

/** Every row of every table of the manager's schemas and of DBOS's, as PostgreSQL prints it. */
async function dumpDatabase(db: pg.Pool): Promise<string> {
  const tables = await db.query<{ schema: string; name: string }>(
    `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
      WHERE table_schema IN ('safeflash', 'dbos') AND table_type = 'BASE TABLE' ORDER BY 1, 2`,
  );
  assert.ok(tables.rows.length >= 10, `${tables.rows.length} tables`);
  const parts: string[] = [];
  for (const { schema, name } of tables.rows) {
    const rows = await db.query<{ row: string }>(`SELECT t::text AS row FROM "${schema}"."${name}" t`);
    parts.push(`-- ${schema}.${name}`, ...rows.rows.map((r) => r.row));
  }
  return parts.join('\n');
}

async function securityColumn(db: pg.Pool): Promise<string[]> {
  return (await db.query<{ s: string }>('SELECT security::text AS s FROM safeflash.devices ORDER BY id')).rows.map((r) => r.s);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sf-secrets-'));
  await chmod(dir, 0o755);
  dataDir = join(dir, 'manager');
  keyFile = join(dataDir, 'secrets.key');
  const port = 20000 + Math.floor(Math.random() * 20000);
  fleet = await startLoopbackFleet(dir, { devices: 1, baseAddress: `127.6.${1 + Math.floor(Math.random() * 250)}.1`, port });
  manager = await start();
  const member = fleet.members[0]!;
  await api('POST', '/api/devices', {
    address: member.address,
    port,
    name: 'iad-v3',
    v3User: testUser.name,
    authKey: testUser.authKey,
    privKey: testUser.privKey,
  });
  await api('POST', '/api/devices', { address: '127.6.0.250', port, name: 'modem-v2c', community });
});

after(async () => {
  await pool?.end();
  await manager?.stop('SIGKILL');
  await killPostgres(dataDir);
  await fleet?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('the secrets key is made on first start, 32 bytes, readable by its owner only', async () => {
  const info = await stat(keyFile);
  assert.equal(info.mode & 0o777, 0o600);
  assert.equal(info.size, 32);
});

test('after an upgrade over FTP, no key, community or FTP password is in the database or the log', { timeout: 180_000 }, async () => {
  const vendorKey = readPrivateKey(keyPairFiles(vendorKeyPrefix(join(dir, 'vendor'))).privateKeyFile);
  const imageFile = labImage(vendorKey, { model: labModel, version: '3.0.0' });
  const image = await fetch(`${manager!.url}/api/images`, {
    method: 'POST',
    headers: { authorization: `Bearer ${manager!.token}`, 'content-type': 'application/octet-stream' },
    body: new Blob([new Uint8Array(imageFile)]),
  }).then((r) => r.json());
  const run = await api('POST', '/api/runs', { device: 'iad-v3', image: image.sha256, policy, transport: 'ftp' });
  let detail: any;
  for (let i = 0; i < 600; i++) {
    detail = await api('GET', `/api/runs/${run.id}`);
    if (detail.run.outcome) break;
    await sleep(200);
  }
  assert.equal(detail.run.state, 'verified', JSON.stringify(detail.run.outcome));

  // The API's device views carry the security model only.
  const devices = JSON.stringify(await api('GET', '/api/devices'));
  assert.match(devices, /"securityModel":"v3"/);

  pool = managerDatabase(dataDir);
  const offers = await pool.query<{ username: string }>(`SELECT username FROM safeflash.file_offers WHERE protocol = 'ftp'`);
  assert.ok(offers.rows.length >= 3, `${offers.rows.length} FTP offers: backup, image, configuration`);
  const box = new SecretBox(await readFile(keyFile));
  const passwords = offers.rows.map((o) => box.transferPassword(o.username));
  const journal = await pool.query<{ output: string }>(`SELECT output::text AS output FROM safeflash.run_steps WHERE name = 'safeflash.expectBackup'`);
  assert.ok(journal.rows.length >= 1);
  for (const row of journal.rows) {
    assert.match(row.output, /"username"/, 'the journal keeps the transfer user name');
    assert.doesNotMatch(row.output, /"password"/, 'and never its password');
  }

  const dump = await dumpDatabase(pool);
  const log = [...logs, manager!.stdout(), manager!.stderr()].join('\n');
  assert.match(log, /manager started/);
  assert.ok(dump.includes(offers.rows[0]!.username), 'the dump holds the offers (their user names are no secret)');
  const secrets = { authKey: testUser.authKey, privKey: testUser.privKey, community, ...Object.fromEntries(passwords.map((p, i) => [`ftp password ${i}`, p])) };
  for (const [what, secret] of Object.entries(secrets)) {
    assert.ok(!dump.includes(secret), `${what} is in the database in clear`);
    assert.ok(!log.includes(secret), `${what} is in the manager's log`);
  }
  for (const column of await securityColumn(pool)) assert.match(column, /^\{"sealed": "sf1\./);
});

test('a row an earlier version kept in clear is sealed at the next start and still reaches its device', { timeout: 120_000 }, async () => {
  // The database as an earlier version left it: a device's credentials and an ended run's FTP password
  // in clear, and no secrets key recorded.
  const clear = JSON.stringify({ version: 'v3', user: testUser });
  await pool!.query(`UPDATE safeflash.devices SET security = $1 WHERE name = 'iad-v3'`, [clear]);
  await pool!.query('DELETE FROM safeflash.secrets_key');
  const oldPassword = 'password-of-an-earlier-version-1';
  await pool!.query(
    `UPDATE safeflash.run_steps SET output = (output::jsonb || jsonb_build_object('password', $1::text))::json
      WHERE name = 'safeflash.expectBackup'`,
    [oldPassword],
  );
  await stop();
  manager = await start();
  pool = managerDatabase(dataDir);
  const journal = await pool.query<{ output: string }>(`SELECT output::text AS output FROM safeflash.run_steps WHERE name = 'safeflash.expectBackup'`);
  assert.ok(journal.rows.length > 0);
  for (const row of journal.rows) assert.ok(!row.output.includes(oldPassword), 'an ended run keeps no password in its journal');
  const columns = await securityColumn(pool);
  for (const column of columns) assert.match(column, /^\{"sealed": "sf1\./);
  assert.ok(!columns.join('').includes(testUser.authKey));
  const refreshed = await api('POST', '/api/devices/iad-v3/refresh');
  assert.equal(refreshed.runningVersion, '3.0.0', 'the device is read with the credentials opened from the sealed row');
});

test('another key, a key others may read or one of the wrong size: refused at start, nothing changed', { timeout: 120_000 }, async () => {
  const sealed = await securityColumn(pool!);
  await stop();
  const good = await readFile(keyFile);
  const refused = async (pattern: RegExp, args: string[] = serveArgs()) => {
    const result = await runCli(['serve', ...args], { timeoutMs: 90_000 });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, pattern);
    logs.push(result.stdout, result.stderr);
  };

  const other = join(dir, 'other.key');
  await writeFile(other, Buffer.alloc(32, 7), { mode: 0o600 });
  await refused(/secrets key is not the one .* sealed with.*--secrets-key FILE/, [...serveArgs(), '--secrets-key', other]);

  await chmod(keyFile, 0o644);
  await refused(/mode 0644: it must be readable by its owner only \(chmod 600/);
  assert.deepEqual(await readFile(keyFile), good, 'the key file is left as it was');

  await chmod(keyFile, 0o600);
  await writeFile(keyFile, good.subarray(0, 31));
  await refused(/holds 31 bytes, not 32/);

  await writeFile(keyFile, good);
  manager = await start();
  pool = managerDatabase(dataDir);
  assert.deepEqual(await securityColumn(pool), sealed, 'the refused starts changed no credential');
  assert.equal((await api('POST', '/api/devices/iad-v3/refresh')).name, 'iad-v3');
});
