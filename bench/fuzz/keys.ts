// Signing keys derived from a fixed seed: the same seed gives the same images, so a failure replays
// byte for byte in another process.
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import type { SigningKeyPair } from '../../src/protocol/keys.ts';

const pkcs8Ed25519Prefix = Buffer.from('302e020100300506032b657004220420', 'hex');

export function seededKeyPair(name: string): SigningKeyPair {
  const seed = createHash('sha256').update(`safeflash fuzz key ${name}`).digest();
  const privateKey = createPrivateKey({ key: Buffer.concat([pkcs8Ed25519Prefix, seed]), format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}
