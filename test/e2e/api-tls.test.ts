// The API over TLS and the limit on invalid tokens. `safeflash serve --tls-cert --tls-key` with a
// self-signed certificate for 127.0.0.1 (made by openssl): curl trusts it with --cacert, the CLI with
// --ca or SAFEFLASH_CA, and refuses it without, saying how to trust it. A client address that sends
// invalid tokens gets 429 with Retry-After after a few; a valid token from another address still
// works. Bad TLS options are usage errors or refused starts that change nothing.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { runCli, type ServeProcess, startServe } from '../helpers/cli-process.ts';
import { killPostgres } from '../helpers/kill-manager.ts';
import { defaultFailedTokenLimits } from '../../src/interfaces/http/auth-limit.ts';
import { missing } from '../helpers/tools.ts';

const run = promisify(execFile);
const noOpenssl = missing('openssl');

let dir: string;
let dataDir: string;
let cert: string;
let key: string;
let manager: ServeProcess | undefined;
/** Invalid tokens a client address may send before it is refused. */
const failures = defaultFailedTokenLimits.failures;

/** A GET over HTTPS from `localAddress`, trusting the test certificate. */
function get(path: string, token: string, localAddress = '127.0.0.1'): Promise<{ status: number; retryAfter: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, manager!.url), { headers: { authorization: `Bearer ${token}` }, localAddress, ca: certText }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

let certText = '';

before(async () => {
  if (noOpenssl) return;
  dir = await mkdtemp(join(tmpdir(), 'sf-tls-'));
  await chmod(dir, 0o755);
  dataDir = join(dir, 'manager');
  cert = join(dir, 'cert.pem');
  key = join(dir, 'key.pem');
  await run('openssl', [
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'],
    ...['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert],
  ]);
  certText = readFileSync(cert, 'utf8');
  manager = await startServe(
    [
      ...['--data-dir', dataDir, '--http-address', '127.0.0.1', '--http-port', '0', '--snmp-port', '0', '--tftp-port', '0', '--ftp-port', '0'],
      ...['--tls-cert', cert, '--tls-key', key],
    ],
    90_000,
  );
});

after(async () => {
  await manager?.stop('SIGKILL');
  if (dataDir) await killPostgres(dataDir);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the API over TLS', { skip: noOpenssl }, () => {
  test('the manager says https, and plain HTTP is not served', async () => {
    assert.match(manager!.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const plain = await fetch(`${manager!.url.replace('https:', 'http:')}/openapi.json`).then(
      () => 'answered',
      () => 'refused',
    );
    assert.equal(plain, 'refused');
    const dashboard = await get('/', '');
    assert.equal(dashboard.status, 200, 'the dashboard is served over TLS too');
  });

  test('curl with --cacert reads the API; without it, curl refuses the certificate', { skip: missing('curl') }, async () => {
    const trusted = await run('curl', ['-sS', '--cacert', cert, '-H', `Authorization: Bearer ${manager!.token}`, `${manager!.url}/api/tokens/current`]);
    assert.equal(JSON.parse(trusted.stdout).name, 'bootstrap');
    await assert.rejects(run('curl', ['-sS', '-o', '/dev/null', `${manager!.url}/openapi.json`]), /certificate/i);
  });

  test('the CLI talks to it with --ca or SAFEFLASH_CA, and says how to trust it otherwise', async () => {
    const env = { SAFEFLASH_SERVER: manager!.url, SAFEFLASH_TOKEN: manager!.token };
    const withOption = await runCli(['token', 'list', '--json', '--ca', cert], { env });
    assert.equal(withOption.code, 0, withOption.stderr);
    assert.ok((JSON.parse(withOption.stdout) as Array<{ name: string }>).some((t) => t.name === 'bootstrap'));
    const withEnv = await runCli(['token', 'list'], { env: { ...env, SAFEFLASH_CA: cert } });
    assert.equal(withEnv.code, 0, withEnv.stderr);
    const untrusted = await runCli(['token', 'list'], { env });
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.stderr, /certificate is not trusted .*--ca FILE or SAFEFLASH_CA/);
    const missing = await runCli(['token', 'list', '--ca', join(dir, 'no-such.pem')], { env });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read the CA file/);
  });

  test('invalid tokens from one address: 429 with Retry-After after a few; a valid token from another address works', async () => {
    const bad = 'sf.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    for (let i = 0; i < failures; i++) assert.equal((await get('/api/devices', bad, '127.0.0.2')).status, 401);
    const refused = await get('/api/devices', bad, '127.0.0.2');
    assert.equal(refused.status, 429);
    assert.match(refused.retryAfter ?? '', /^[1-9][0-9]*$/);
    assert.match(JSON.parse(refused.body).error, /too many requests with an invalid API token/);
    assert.equal((await get('/api/devices', manager!.token, '127.0.0.2')).status, 429, 'the address is refused whatever it sends, for a while');
    assert.equal((await get('/api/devices', manager!.token, '127.0.0.1')).status, 200, 'another address is not affected');
    assert.equal((await get('/openapi.json', bad, '127.0.0.2')).status, 200, 'public documents stay public');
  });
});

describe('bad TLS options', { skip: noOpenssl }, () => {
  test("--tls-cert without --tls-key is a usage error; a key that is not the certificate's is refused before anything starts", async () => {
    const other = join(dir, 'other');
    const base = ['--data-dir', other, '--http-port', '0', '--snmp-port', '0', '--tftp-port', '0', '--ftp-port', '0'];
    const alone = await runCli(['serve', ...base, '--tls-cert', cert]);
    assert.equal(alone.code, 2);
    assert.match(alone.stderr, /--tls-cert and --tls-key go together/);

    const wrongKey = join(dir, 'wrong-key.pem');
    await run('openssl', ['genpkey', '-algorithm', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', wrongKey]);
    const mismatch = await runCli(['serve', ...base, '--tls-cert', cert, '--tls-key', wrongKey], { timeoutMs: 90_000 });
    assert.equal(mismatch.code, 1);
    assert.match(mismatch.stderr, /TLS certificate .* with key .*wrong-key\.pem/);
    const notPem = join(dir, 'not.pem');
    await writeFile(notPem, 'not a certificate\n');
    const garbage = await runCli(['serve', ...base, '--tls-cert', notPem, '--tls-key', key], { timeoutMs: 90_000 });
    assert.equal(garbage.code, 1);
    assert.match(garbage.stderr, /TLS certificate .*not\.pem/);
    assert.deepEqual(await readdir(dir).then((names) => names.includes('other')), false, 'no data directory was made');
  });
});
