// Ed25519 key pairs that sign software images: made by the vendor (keygen), the public half given to
// devices and to the manager so both can refuse an image nobody trusted signed.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';

export class KeyFileError extends Error {
  override name = 'KeyFileError';
}

export interface SigningKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function generateKeyPair(): SigningKeyPair {
  return generateKeyPairSync('ed25519');
}

/** Length in bytes of the key id an image carries to name the key that signed it. */
export const keyIdLength = 8;

/** A short, stable name for a public key: the first bytes of the SHA-256 of its SPKI DER encoding. */
/** Key IDs already worked out: every image read (each boot of each device) asks again for the same few keys. */
const keyIds = new WeakMap<KeyObject, Buffer>();

export function keyIdOf(key: KeyObject): Buffer {
  const known = keyIds.get(key);
  if (known) return known;
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const id = createHash('sha256').update(der).digest().subarray(0, keyIdLength);
  keyIds.set(key, id);
  return id;
}

export interface KeyPairFiles {
  privateKeyFile: string;
  publicKeyFile: string;
}

export function keyPairFiles(prefix: string): KeyPairFiles {
  return { privateKeyFile: `${prefix}.key`, publicKeyFile: `${prefix}.pub` };
}

/**
 * Writes PREFIX.key (PKCS#8 PEM, readable by the owner only) and PREFIX.pub (SPKI PEM).
 * Refuses, before writing anything, when either file exists and `overwrite` is not set.
 */
export function writeKeyPair(prefix: string, options: { overwrite?: boolean } = {}): SigningKeyPair & KeyPairFiles {
  const files = keyPairFiles(prefix);
  const existing = [files.privateKeyFile, files.publicKeyFile].filter((file) => existsSync(file));
  if (existing.length > 0 && !options.overwrite) {
    throw new KeyFileError(`${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''}; refusing to overwrite`);
  }
  const pair = generateKeyPair();
  const privatePem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' });
  const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' });
  // An existing file keeps its mode when rewritten, so it is removed first: the new private key must
  // never be readable by others, not even for a moment.
  if (options.overwrite) for (const file of existing) unlinkSync(file);
  writeFileSync(files.privateKeyFile, privatePem, { mode: 0o600, flag: 'wx' });
  writeFileSync(files.publicKeyFile, publicPem, { mode: 0o644, flag: 'wx' });
  return { ...pair, ...files };
}

function readKeyText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(error);
    throw new KeyFileError(`cannot read ${what} ${path}: ${why}`);
  }
}

function requireEd25519(key: KeyObject, path: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new KeyFileError(`${path} holds an ${key.asymmetricKeyType ?? 'unknown'} key; images are signed with Ed25519 keys (safeflash keygen)`);
  }
  return key;
}

export function readPrivateKey(path: string): KeyObject {
  const text = readKeyText(path, 'private key');
  if (/-----BEGIN PUBLIC KEY-----/.test(text)) {
    throw new KeyFileError(`${path} is a public key; signing needs the private key (the .key file)`);
  }
  if (!/-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/.test(text)) {
    throw new KeyFileError(`${path} is not a PEM private key (expected "-----BEGIN PRIVATE KEY-----")`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch (error) {
    throw new KeyFileError(`${path} is not a usable private key: ${(error as Error).message}`);
  }
  return requireEd25519(key, path);
}

export function readPublicKey(path: string): KeyObject {
  const text = readKeyText(path, 'public key');
  // createPublicKey would quietly derive a public key from a private one; a private key handed out
  // where a public one belongs is a leak the operator must hear about.
  if (/-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/.test(text)) {
    throw new KeyFileError(`${path} is a private key; verification needs the public key (the .pub file)`);
  }
  if (!/-----BEGIN PUBLIC KEY-----/.test(text)) {
    throw new KeyFileError(`${path} is not a PEM public key (expected "-----BEGIN PUBLIC KEY-----")`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey(text);
  } catch (error) {
    throw new KeyFileError(`${path} is not a usable public key: ${(error as Error).message}`);
  }
  return requireEd25519(key, path);
}
