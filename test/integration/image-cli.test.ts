// The file tools as an operator runs them: real processes, real files, exit codes 0/1/2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { factoryConfig, renderConfig } from '../../src/protocol/config.ts';
import { readImage } from '../../src/protocol/image.ts';
import { readPublicKey } from '../../src/protocol/keys.ts';

const cli = fileURLToPath(new URL('../../bin/safeflash.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'safeflash-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function safeflash(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd: dir, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const at = (name: string): string => join(dir, name);

test('keygen, pack and inspect: a valid image exits 0', async () => {
  const keygen = await safeflash('keygen', '--out', at('vendor'));
  assert.equal(keygen.code, 0, keygen.stderr);
  assert.match(keygen.stdout, /key id [0-9a-f]{16}/);
  assert.equal(statSync(at('vendor.key')).mode & 0o777, 0o600);

  const again = await safeflash('keygen', '--out', at('vendor'));
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exist; refusing to overwrite/);
  const before = readFileSync(at('vendor.pub'));
  const forced = await safeflash('keygen', '--out', at('vendor'), '--force');
  assert.equal(forced.code, 0, forced.stderr);
  assert.notDeepEqual(readFileSync(at('vendor.pub')), before);

  writeFileSync(at('fw.bin'), Buffer.alloc(5000, 0xa5));
  const pack = await safeflash(
    'image',
    'pack',
    '--model',
    'IAD-2400',
    '--version',
    '4.2.0',
    '--config-format',
    '2',
    '--payload',
    at('fw.bin'),
    '--key',
    at('vendor.key'),
    '--out',
    at('fw.img'),
    '--no-reboot',
  );
  assert.equal(pack.code, 0, pack.stderr);
  const { header, payload } = readImage(readFileSync(at('fw.img')), { trustedKeys: [readPublicKey(at('vendor.pub'))] });
  assert.equal(header.version, '4.2.0');
  assert.equal(header.rebootRequired, false);
  assert.equal(payload.length, 5000);

  const inspect = await safeflash('image', 'inspect', at('fw.img'), '--pubkey', at('vendor.pub'), '--model', 'IAD-2400');
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.match(inspect.stdout, /^model\s+IAD-2400$/m);
  assert.match(inspect.stdout, /^config format\s+2$/m);
  assert.match(inspect.stdout, /^verdict\s+valid/m);

  const json = await safeflash('image', 'inspect', at('fw.img'), '--pubkey', at('vendor.pub'), '--json');
  assert.equal(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout) as { valid: boolean; header: { model: string; payloadLength: number } };
  assert.equal(report.valid, true);
  assert.equal(report.header.payloadLength, 5000);
});

test('inspect exits 1 with the reason for a wrong model, a corrupt image and a stranger key', async () => {
  const image = readFileSync(at('fw.img'));
  const corrupt = Buffer.from(image);
  corrupt[image.length - 100] = corrupt[image.length - 100]! ^ 0xff;
  writeFileSync(at('corrupt.img'), corrupt);
  assert.equal((await safeflash('keygen', '--out', at('stranger'))).code, 0);

  const cases: Array<[string[], RegExp]> = [
    [[at('fw.img'), '--pubkey', at('vendor.pub'), '--model', 'IAD-800'], /wrongModel: image is for model IAD-2400, not IAD-800/],
    [[at('corrupt.img'), '--pubkey', at('vendor.pub')], /corrupt: payload does not match/],
    [[at('fw.img'), '--pubkey', at('stranger.pub')], /untrustedKey/],
    [[at('fw.bin'), '--pubkey', at('vendor.pub')], /notAnImage/],
  ];
  for (const [args, reason] of cases) {
    const run = await safeflash('image', 'inspect', ...args);
    assert.equal(run.code, 1, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, reason);
  }
  const json = await safeflash('image', 'inspect', at('corrupt.img'), '--pubkey', at('vendor.pub'), '--json');
  assert.equal(json.code, 1);
  assert.equal((JSON.parse(json.stdout) as { reason: string }).reason, 'corrupt');
});

test('bad usage exits 2 and writes nothing', async () => {
  const noKey = await safeflash('image', 'inspect', at('fw.img'));
  assert.equal(noKey.code, 2);
  assert.match(noKey.stderr, /required option '--pubkey <file>'/);
  const badFormat = await safeflash(
    'image',
    'pack',
    '--model',
    'IAD-2400',
    '--version',
    '4.3.0',
    '--config-format',
    'two',
    '--payload',
    at('fw.bin'),
    '--key',
    at('vendor.key'),
    '--out',
    at('never.img'),
  );
  assert.equal(badFormat.code, 2);
  assert.throws(() => statSync(at('never.img')), /ENOENT/);
  assert.equal((await safeflash('keygen')).code, 2);
});

test('pack with the public key instead of the private one fails and writes nothing', async () => {
  const run = await safeflash(
    'image',
    'pack',
    '--model',
    'IAD-2400',
    '--version',
    '4.3.0',
    '--config-format',
    '2',
    '--payload',
    at('fw.bin'),
    '--key',
    at('vendor.pub'),
    '--out',
    at('never.img'),
  );
  assert.equal(run.code, 1);
  assert.match(run.stderr, /is a public key; signing needs the private key/);
  assert.throws(() => statSync(at('never.img')), /ENOENT/);
});

test('config validate and show', async () => {
  const config = factoryConfig({ model: 'IAD-2400', serial: 'SF24A00042', format: 2 });
  writeFileSync(at('good.cfg'), renderConfig(config));
  const valid = await safeflash('config', 'validate', at('good.cfg'));
  assert.equal(valid.code, 0, valid.stderr);
  assert.match(valid.stdout, /valid, format 2, model IAD-2400, serial SF24A00042, digest [0-9a-f]{64}/);

  const text = readFileSync(at('good.cfg'), 'utf8')
    .replace('transport ?= udp', 'transport ?= sctp')
    .replace(/^transport = \w+$/m, 'transport = sctp');
  writeFileSync(at('bad.cfg'), text);
  const invalid = await safeflash('config', 'validate', at('bad.cfg'));
  assert.equal(invalid.code, 1);
  const line = text.split('\n').findIndex((row) => row.startsWith('transport ')) + 1;
  assert.match(invalid.stdout, new RegExp(`line ${line}: \\[sip\\] transport: must be one of udp, tcp, tls`));
  assert.match(invalid.stderr, /not a valid configuration/);

  const shown = await safeflash('config', 'show', at('good.cfg'), '--json');
  assert.equal(shown.code, 0, shown.stderr);
  const json = JSON.parse(shown.stdout) as { format: number; sip_accounts: Array<{ password: string }> };
  assert.equal(json.format, 2);
  assert.equal(json.sip_accounts[0]!.password, '********');
  const plain = await safeflash('config', 'show', at('good.cfg'));
  assert.match(plain.stdout, /^#!safeflash-config format=2 model=IAD-2400 serial=SF24A00042$/m);
  assert.doesNotMatch(plain.stdout, new RegExp(config.snmp.auth_password!));

  const missing = await safeflash('config', 'show', at('missing.cfg'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot read configuration .*missing\.cfg: no such file/);
});

test("pack --family wraps a vendor's file in a manifest for that family; inspect says so; an unknown family is refused", async () => {
  writeFileSync(at('modem.bin'), Buffer.alloc(3000, 9));
  const pack = await safeflash(
    ...['image', 'pack', '--model', 'CM-3200', '--version', '7.1.0', '--config-format', '1', '--family', 'docsis'],
    ...['--payload', at('modem.bin'), '--key', at('vendor.key'), '--out', at('modem.img')],
  );
  assert.equal(pack.code, 0, pack.stderr);
  const { header, payload } = readImage(readFileSync(at('modem.img')), { trustedKeys: [readPublicKey(at('vendor.pub'))] });
  assert.equal(header.family, 'docsis');
  assert.deepEqual(payload, readFileSync(at('modem.bin')), "the vendor's file is carried unchanged");
  const inspect = await safeflash('image', 'inspect', at('modem.img'), '--pubkey', at('vendor.pub'));
  assert.match(inspect.stdout, /^family\s+docsis \(a manifest/m);
  const refused = await safeflash(
    ...['image', 'pack', '--model', 'X', '--version', '1', '--config-format', '1', '--family', 'nokia'],
    ...['--payload', at('modem.bin'), '--key', at('vendor.key'), '--out', at('x.img')],
  );
  assert.equal(refused.code, 2);
});
