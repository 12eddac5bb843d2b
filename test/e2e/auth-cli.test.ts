// `safeflash token create|list|revoke` and how every command finds its token, against `safeflash
// serve` in a child process: --token, $SAFEFLASH_TOKEN, --data-dir's operator.token; a missing or
// refused token is one clear line and exit 1, never a stack trace.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli, startServe, type ServeProcess } from '../helpers/cli-process.ts';

let dir: string;
let serve: ServeProcess;
/** Only the server: the token must come from somewhere else. */
let server: Record<string, string>;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sf-auth-cli-'));
  await chmod(dir, 0o755);
  serve = await startServe(['--data-dir', join(dir, 'manager'), '--http-port', '0', '--snmp-port', '0', '--tftp-port', '0', '--ftp-port', '0']);
  server = { SAFEFLASH_SERVER: serve.url, SAFEFLASH_TOKEN: '' };
});

after(async () => {
  await serve?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('without a token a command says where to get one and exits 1', async () => {
  const result = await runCli(['device', 'list', '--data-dir', join(dir, 'nowhere')], { env: server });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /no API token: give --token TOKEN or set SAFEFLASH_TOKEN, or --data-dir DIR/);
  assert.ok(!/\n\s+at /.test(result.stderr), `no stack trace: ${result.stderr}`);
});

test('the operator token file of --data-dir, $SAFEFLASH_TOKEN and --token are each enough', async () => {
  assert.equal((await runCli(['device', 'list', '--data-dir', join(dir, 'manager')], { env: server })).code, 0);
  assert.equal((await runCli(['device', 'list'], { env: { ...server, SAFEFLASH_TOKEN: serve.token } })).code, 0);
  assert.equal((await runCli(['device', 'list', '--token', serve.token], { env: server })).code, 0);
  const bad = await runCli(['device', 'list', '--token', 'sf.1.not-the-secret'], { env: server });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /API token is not valid.*--token, SAFEFLASH_TOKEN or --data-dir/);
});

test('token create, list and revoke; a viewer reads but cannot act', async () => {
  const operator = { ...server, SAFEFLASH_TOKEN: serve.token };
  const created = await runCli(['token', 'create', '--name', 'night-shift', '--role', 'viewer'], { env: operator });
  assert.equal(created.code, 0, created.stderr);
  const viewer = created.stdout.trim();
  assert.match(viewer, /^sf\.[0-9]+\.[A-Za-z0-9_-]{43}$/);
  assert.match(created.stderr, /shown this once/);

  const list = await runCli(['token', 'list', '--json'], { env: operator });
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(
    JSON.parse(list.stdout).map((t: { name: string; role: string }) => `${t.name}:${t.role}`),
    ['bootstrap:operator', 'night-shift:viewer'],
  );
  assert.ok(!list.stdout.includes(viewer.split('.')[2]!) && !list.stdout.includes(serve.token.split('.')[2]!), 'no secret is listed');
  const table = await runCli(['token', 'list'], { env: operator });
  assert.match(table.stdout, /night-shift\s+viewer/);

  const asViewer = { ...server, SAFEFLASH_TOKEN: viewer };
  assert.equal((await runCli(['device', 'list'], { env: asViewer })).code, 0);
  const refused = await runCli(['device', 'add', '127.0.99.1'], { env: asViewer });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /viewer token may only read/);
  assert.equal((await runCli(['token', 'create', '--name', 'escalate', '--role', 'operator'], { env: asViewer })).code, 1);

  const revoked = await runCli(['token', 'revoke', 'night-shift'], { env: operator });
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.match(revoked.stdout, /revoked viewer token night-shift/);
  const after = await runCli(['device', 'list'], { env: asViewer });
  assert.equal(after.code, 1);
  assert.match(after.stderr, /not valid/);

  assert.equal((await runCli(['token', 'revoke', 'no-such-token'], { env: operator })).code, 2, 'an unknown token is a usage error');
  assert.equal((await runCli(['token', 'create', '--name', 'x', '--role', 'admin'], { env: operator })).code, 2);
  assert.equal((await runCli(['token', 'create', '--name', 'bad name', '--role', 'viewer'], { env: operator })).code, 2);
});
