// The names a TFTP server accepts uploads for: issued by the server, unguessable, single-use, and
// optionally valid only for a while.
import { randomBytes } from 'node:crypto';

export class WriteNameRegistry {
  private readonly expiries = new Map<string, number>();

  constructor(private readonly defaultTtlMs: number | undefined) {}

  /**
   * A fresh name such as backup-<hint>-<32 hex>.cfg. The hint is reduced to [A-Za-z0-9_-] so it can
   * never add a path or a hidden name.
   */
  issue(hint?: string, ttlMs: number | undefined = this.defaultTtlMs, extension = '.cfg'): string {
    this.dropExpired();
    const safeHint = (hint ?? '').replace(/[^A-Za-z0-9_-]/g, '').slice(0, 64);
    const safeExtension = /^\.[A-Za-z0-9]{1,16}$/.test(extension) ? extension : '.cfg';
    const name = `backup-${safeHint === '' ? '' : `${safeHint}-`}${randomBytes(16).toString('hex')}${safeExtension}`;
    this.accept(name, ttlMs);
    return name;
  }

  /**
   * Accepts a name issued earlier (by this registry before a restart, as its owner recorded it):
   * the same rules as an issued name from then on.
   */
  accept(name: string, ttlMs: number | undefined = this.defaultTtlMs): void {
    this.expiries.set(name, ttlMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + ttlMs);
  }

  /** Consumes the name: true once per issued, unexpired name. */
  take(name: string): boolean {
    const expiry = this.expiries.get(name);
    if (expiry === undefined) return false;
    this.expiries.delete(name);
    return expiry > Date.now();
  }

  /** Withdraws a name that was issued but is no longer wanted. */
  revoke(name: string): void {
    this.expiries.delete(name);
  }

  private dropExpired(): void {
    const now = Date.now();
    for (const [name, expiry] of this.expiries) if (expiry <= now) this.expiries.delete(name);
  }
}
