import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyFileError, keyIdOf, readPrivateKey, readPublicKey, writeKeyPair } from '../../src/protocol/keys.ts';

const dir = mkdtempSync(join(tmpdir(), 'safeflash-keys-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a written key pair reads back as the same Ed25519 keys', () => {
  const prefix = join(dir, 'vendor');
  const written = writeKeyPair(prefix);
  assert.equal(statSync(`${prefix}.key`).mode & 0o777, 0o600);
  assert.match(readFileSync(`${prefix}.key`, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
  assert.match(readFileSync(`${prefix}.pub`, 'utf8'), /^-----BEGIN PUBLIC KEY-----/);
  const privateKey = readPrivateKey(`${prefix}.key`);
  const publicKey = readPublicKey(`${prefix}.pub`);
  assert.deepEqual(keyIdOf(privateKey), keyIdOf(written.publicKey));
  assert.deepEqual(keyIdOf(publicKey), keyIdOf(written.publicKey));
});

test('existing key files are not overwritten unless asked, and nothing is half written', () => {
  const prefix = join(dir, 'once');
  writeFileSync(`${prefix}.pub`, 'keep me');
  assert.throws(
    () => writeKeyPair(prefix),
    (error: unknown) => error instanceof KeyFileError && /once\.pub already exists/.test(error.message),
  );
  assert.equal(readFileSync(`${prefix}.pub`, 'utf8'), 'keep me');
  assert.throws(() => readFileSync(`${prefix}.key`), /ENOENT/);
  writeFileSync(`${prefix}.key`, 'old', { mode: 0o644 });
  writeKeyPair(prefix, { overwrite: true });
  assert.equal(statSync(`${prefix}.key`).mode & 0o777, 0o600);
  readPublicKey(`${prefix}.pub`);
});

test('wrong key files get errors that say what is wrong', () => {
  const prefix = join(dir, 'swap');
  writeKeyPair(prefix);
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
  writeFileSync(join(dir, 'rsa.key'), rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(dir, 'garbage'), 'hello');
  const cases: Array<[() => unknown, RegExp]> = [
    [() => readPrivateKey(`${prefix}.pub`), /is a public key/],
    [() => readPublicKey(`${prefix}.key`), /is a private key/],
    [() => readPrivateKey(join(dir, 'rsa.key')), /rsa key; images are signed with Ed25519/],
    [() => readPublicKey(join(dir, 'garbage')), /not a PEM public key/],
    [() => readPrivateKey(join(dir, 'garbage')), /not a PEM private key/],
    [() => readPublicKey(join(dir, 'missing.pub')), /cannot read public key .*no such file/],
  ];
  for (const [read, message] of cases) {
    assert.throws(read, (error: unknown) => error instanceof KeyFileError && message.test(error.message));
  }
});
