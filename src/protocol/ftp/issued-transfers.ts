// Single-use FTP credentials, each good for exactly one file in one direction.
// The manager issues them when it asks a device to move a file; the server redeems them at login.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type TransferMode = 'read' | 'write';

export interface TransferRequest {
  mode: TransferMode;
  /** A plain name in the server's root (no directories). */
  file: string;
  /** write only: most bytes the upload may bring; the server's limit when absent or larger. */
  maxBytes?: number;
  /** When set, only a login from this address may redeem the credentials. */
  peerAddress?: string;
}

export interface IssuedCredentials {
  username: string;
  password: string;
  file: string;
}

export interface Grant {
  mode: TransferMode;
  file: string;
  /** write only: the upload cap in force for this transfer. */
  maxBytes: number;
  peerAddress: string | undefined;
  username: string;
}

interface Outstanding {
  grant: Grant;
  passwordDigest: Buffer;
  expiresAt: number;
}

export type Redemption = { grant: Grant } | { refusal: string };

const digest = (password: string): Buffer => createHash('sha256').update(password, 'utf8').digest();

/** What is kept of a password (in memory here, and by the manager in its database): its SHA-256, in hex. */
export const passwordSha256 = (password: string): string => digest(password).toString('hex');

export class IssuedTransfers {
  private readonly outstanding = new Map<string, Outstanding>();

  constructor(
    private readonly ttlMs: number,
    /** Bound on credentials waiting to be used, so a caller that never stops issuing cannot grow memory without end. */
    private readonly maxOutstanding: number,
    private readonly now: () => number = Date.now,
    /** The password for a user name, when the owner derives it; random otherwise. */
    private readonly passwordFor: (username: string) => string = () => randomBytes(24).toString('base64url'),
  ) {}

  issue(grant: Omit<Grant, 'username'>): IssuedCredentials {
    const username = `sf-${randomBytes(9).toString('base64url')}`;
    const password = this.passwordFor(username);
    this.restore({ username, passwordSha256: passwordSha256(password) }, grant, this.now() + this.ttlMs);
    return { username, password, file: grant.file };
  }

  /**
   * Takes back credentials issued before a restart, which their owner kept (the password's digest
   * only): a device already holds them. Valid until `expiresAt` (epoch milliseconds).
   */
  restore(credentials: { username: string; passwordSha256: string }, grant: Omit<Grant, 'username'>, expiresAt: number): void {
    // NaN would compare as never expired and never be dropped.
    if (!Number.isSafeInteger(expiresAt)) throw new RangeError(`expiresAt ${expiresAt} is not a time in epoch milliseconds`);
    if (this.outstanding.has(credentials.username)) throw new RangeError(`FTP user ${credentials.username} is already issued`);
    this.dropExpired();
    if (this.outstanding.size >= this.maxOutstanding) {
      throw new RangeError(`too many unused FTP transfers outstanding (${this.maxOutstanding}); revoke or let some expire`);
    }
    const { username } = credentials;
    this.outstanding.set(username, {
      grant: { ...grant, username },
      passwordDigest: Buffer.from(credentials.passwordSha256, 'hex'),
      expiresAt,
    });
  }

  /** Consumes the credentials whatever the outcome of the transfer: a retry needs new ones. */
  redeem(username: string, password: string, peerAddress: string | undefined): Redemption {
    const entry = this.outstanding.get(username);
    if (entry === undefined || !timingSafeEqual(entry.passwordDigest, digest(password))) {
      return { refusal: 'Unknown, used or wrong credentials' };
    }
    if (entry.expiresAt <= this.now()) {
      this.outstanding.delete(username);
      return { refusal: 'Credentials expired' };
    }
    if (entry.grant.peerAddress !== undefined && entry.grant.peerAddress !== peerAddress) {
      return { refusal: 'Credentials not issued for this address' };
    }
    this.outstanding.delete(username);
    return { grant: entry.grant };
  }

  revoke(username: string): boolean {
    return this.outstanding.delete(username);
  }

  private dropExpired(): void {
    const now = this.now();
    for (const [username, entry] of this.outstanding) {
      if (entry.expiresAt <= now) this.outstanding.delete(username);
    }
  }
}
