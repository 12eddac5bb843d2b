// What the secrets key does: seals short secrets (AES-256-GCM, a fresh nonce each time), derives the
// password of each FTP transfer from its user name, and names itself by a check value that reveals
// nothing of the key. Each use has its own subkey (HKDF), so no two uses ever share a key.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/** Sealed text starts with this, so that clear text is never taken for sealed text. */
const sealedPrefix = 'sf1.';
const nonceBytes = 12;
const tagBytes = 16;

/** The sealed text could not be opened: sealed under another key, or altered. */
export class SecretOpenError extends Error {
  override name = 'SecretOpenError';
}

function subkey(key: Buffer, use: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `safeflash ${use}`, 32));
}

export class SecretBox {
  /** Names the key among managers (stored in the database) without revealing it. */
  readonly check: string;
  private readonly sealing: Buffer;
  private readonly transfers: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new RangeError(`a secrets key is 32 bytes, not ${key.length}`);
    this.sealing = subkey(key, 'sealed secrets');
    this.transfers = subkey(key, 'ftp transfer passwords');
    this.check = subkey(key, 'key check').toString('hex');
  }

  static isSealed(text: unknown): text is string {
    return typeof text === 'string' && text.startsWith(sealedPrefix);
  }

  seal(text: string): string {
    const nonce = randomBytes(nonceBytes);
    const cipher = createCipheriv('aes-256-gcm', this.sealing, nonce);
    const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    return sealedPrefix + Buffer.concat([nonce, cipher.getAuthTag(), body]).toString('base64url');
  }

  open(sealed: string): string {
    if (!SecretBox.isSealed(sealed)) throw new SecretOpenError('not sealed text');
    const bytes = Buffer.from(sealed.slice(sealedPrefix.length), 'base64url');
    if (bytes.length < nonceBytes + tagBytes) throw new SecretOpenError('sealed text is too short');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.sealing, bytes.subarray(0, nonceBytes));
      decipher.setAuthTag(bytes.subarray(nonceBytes, nonceBytes + tagBytes));
      return Buffer.concat([decipher.update(bytes.subarray(nonceBytes + tagBytes)), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new SecretOpenError('sealed under another secrets key, or altered', { cause: error });
    }
  }

  /**
   * The password of the FTP transfer issued to `username` (a fresh, unguessable name). Derived, never
   * kept: a run that resumes after a crash, on this manager or another with the same key, orders the
   * device with the same password without any record of it in clear.
   */
  transferPassword(username: string): string {
    return createHmac('sha256', this.transfers).update(username, 'utf8').digest('base64url');
  }
}
