// SNMPv3 keys are localized in two steps (RFC 3414 section 2.6 and appendix A.2): the pass phrase,
// repeated to 1 MiB, is hashed into Ku, the same for every engine; then Ku is hashed with one engine's
// ID into that engine's key. net-snmp does both steps for every engine ID it meets and keeps only the
// result, so a manager talking to thousands of devices (or a fleet agent playing thousands of them)
// hashed 1 MiB twice per device. Here Ku is kept per pass phrase, and a new engine costs one short hash.
import { createHash } from 'node:crypto';
import snmp from 'net-snmp';

const { Authentication } = snmp;

/** Ku by hash algorithm and pass phrase; a handful of users in practice, bounded anyway. */
const passPhraseKeys = new Map<string, Buffer>();
const mostPassPhrases = 256;

let installed = false;

/** Makes net-snmp localize keys from a Ku computed once per pass phrase; idempotent. */
export function localizeKeysOncePerPassPhrase(): void {
  if (installed) return;
  installed = true;
  Authentication.passwordToKey = (authProtocol, passPhrase, engineID) => {
    const cacheKey = Authentication.computeCacheKey(authProtocol, passPhrase, engineID);
    const known = Authentication.authToKeyCache[cacheKey];
    if (known !== undefined) return known;
    const algorithm = Authentication.algorithms[authProtocol]?.CRYPTO_ALGORITHM;
    if (algorithm === undefined) throw new RangeError(`unknown SNMPv3 authentication protocol ${authProtocol}`);
    const ku = passPhraseKey(algorithm, passPhrase);
    const localized = createHash(algorithm).update(ku).update(engineID).update(ku).digest();
    Authentication.authToKeyCache[cacheKey] = localized;
    return localized;
  };
}

function passPhraseKey(algorithm: string, passPhrase: string): Buffer {
  const name = `${algorithm}\u0000${passPhrase}`;
  let ku = passPhraseKeys.get(name);
  if (ku === undefined) {
    // The pass phrase repeated to 1 MiB, as net-snmp (and the RFC) expand it.
    ku = createHash(algorithm).update(Buffer.alloc(Authentication.HMAC_BUFFER_SIZE, passPhrase)).digest();
    if (passPhraseKeys.size >= mostPassPhrases) passPhraseKeys.clear();
    passPhraseKeys.set(name, ku);
  }
  return ku;
}
