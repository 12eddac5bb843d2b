// The secrets key's uses: sealed text opens under the same key only and never twice the same; FTP
// passwords derived from a user name are the same for every manager with the key, and differ otherwise.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { SecretBox, SecretOpenError } from '../../src/manager/secrets/secret-box.ts';

test('sealed text opens under its key, looks different each time, and carries nothing of the clear text', () => {
  const box = new SecretBox(randomBytes(32));
  const secret = JSON.stringify({ version: 'v3', user: { name: 'u', authKey: 'auth-key-123', privKey: 'priv-key-456' } });
  const once = box.seal(secret);
  const twice = box.seal(secret);
  assert.notEqual(once, twice);
  assert.ok(SecretBox.isSealed(once));
  assert.ok(!once.includes('auth-key'));
  assert.equal(box.open(once), secret);
  assert.equal(box.open(twice), secret);
});

test('another key, altered text or clear text cannot be opened', () => {
  const key = randomBytes(32);
  const sealed = new SecretBox(key).seal('community-1');
  assert.throws(() => new SecretBox(randomBytes(32)).open(sealed), SecretOpenError);
  const altered = `${sealed.slice(0, -2)}${sealed.endsWith('A') ? 'BB' : 'AA'}`;
  assert.throws(() => new SecretBox(key).open(altered), SecretOpenError);
  assert.throws(() => new SecretBox(key).open('community-1'), SecretOpenError);
  assert.throws(() => new SecretBox(randomBytes(31)), /32 bytes/);
});

test('transfer passwords and key checks: the same for the same key, different for another', () => {
  const key = randomBytes(32);
  const a = new SecretBox(key);
  const b = new SecretBox(Buffer.from(key));
  const other = new SecretBox(randomBytes(32));
  assert.equal(a.transferPassword('sf-user1'), b.transferPassword('sf-user1'));
  assert.notEqual(a.transferPassword('sf-user1'), a.transferPassword('sf-user2'));
  assert.notEqual(a.transferPassword('sf-user1'), other.transferPassword('sf-user1'));
  assert.equal(a.check, b.check);
  assert.notEqual(a.check, other.check);
  assert.ok(!a.check.includes(key.toString('hex')));
});
