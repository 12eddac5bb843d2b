// SNMPv3 key localization with Ku kept per pass phrase gives the keys RFC 3414 gives: its own sample
// keys (appendix A.3) and, for the SHA-2 protocols, the keys computed step by step as section 2.6 says.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import snmp from 'net-snmp';
import { localizeKeysOncePerPassPhrase } from '../../src/protocol/snmp/key-localization.ts';

localizeKeysOncePerPassPhrase();
const { Authentication, AuthProtocols } = snmp;

test('the sample keys of RFC 3414 appendix A.3 (MD5 and SHA-1, pass phrase "maplesyrup")', () => {
  const engineID = Buffer.from('000000000000000000000002', 'hex');
  assert.equal(Authentication.passwordToKey(AuthProtocols.md5, 'maplesyrup', engineID).toString('hex'), '526f5eed9fcce26f8964c2930787d82b');
  assert.equal(Authentication.passwordToKey(AuthProtocols.sha, 'maplesyrup', engineID).toString('hex'), '6695febc9288e36282235fc7151f128497b38f3f');
});

/** Section 2.6 step by step: the pass phrase repeated to 1 MiB and hashed (Ku), then Ku, the engine ID, Ku. */
function localizedByTheRfc(algorithm: string, passPhrase: string, engineID: Buffer): string {
  const repeated = Buffer.alloc(1024 * 1024, passPhrase);
  const ku = createHash(algorithm).update(repeated).digest();
  return createHash(algorithm).update(ku).update(engineID).update(ku).digest('hex');
}

test('every engine gets its own key, as the RFC computes it, from one pass phrase kept once', () => {
  const protocols = [
    [AuthProtocols.sha256, 'sha256'],
    [AuthProtocols.sha512, 'sha512'],
    [AuthProtocols.md5, 'md5'],
  ] as const;
  for (const [protocol, algorithm] of protocols) {
    const keys = new Set<string>();
    for (let device = 0; device < 3; device++) {
      // Fresh engine IDs: never localized before, by this test or net-snmp's cache.
      const engineID = Buffer.concat([Buffer.from('80001f8804', 'hex'), randomBytes(8)]);
      const key = Authentication.passwordToKey(protocol, 'fleet-auth-secret', engineID).toString('hex');
      assert.equal(key, localizedByTheRfc(algorithm, 'fleet-auth-secret', engineID), `${algorithm}, engine ${engineID.toString('hex')}`);
      keys.add(key);
    }
    assert.equal(keys.size, 3, `${algorithm}: one key per engine`);
    const other = Buffer.from('80001f88040102030405', 'hex');
    assert.notEqual(
      Authentication.passwordToKey(protocol, 'another-secret', other).toString('hex'),
      Authentication.passwordToKey(protocol, 'fleet-auth-secret', other).toString('hex'),
      'pass phrases are kept apart',
    );
  }
});
