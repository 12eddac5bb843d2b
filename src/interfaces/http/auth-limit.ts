// Failed token attempts, counted per client address: past `failures` within `windowSeconds`, the
// address is refused (429, with Retry-After) until its window ends, whatever token it sends, so that
// guessing tokens costs a window per handful of guesses. Other addresses are not affected. Kept in
// memory, per manager, for at most `maxClients` addresses: the oldest are forgotten first, so that a
// flood from many addresses cannot grow the manager's memory.
export interface FailedTokenLimits {
  failures: number;
  windowSeconds: number;
  maxClients: number;
}

export const defaultFailedTokenLimits: FailedTokenLimits = { failures: 10, windowSeconds: 60, maxClients: 10_000 };

interface Window {
  startedAt: number;
  failures: number;
}

export class FailedTokenAttempts {
  private readonly limits: FailedTokenLimits;
  /** In insertion order: the first entry is the window that started longest ago. */
  private readonly windows = new Map<string, Window>();

  constructor(
    limits: Partial<FailedTokenLimits> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.limits = { ...defaultFailedTokenLimits, ...limits };
    for (const [name, value] of Object.entries(this.limits)) {
      if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`failed token limit ${name} must be a positive integer, not ${value}`);
    }
  }

  /** Seconds until `client` may try again, or undefined when it may now. */
  refusedFor(client: string): number | undefined {
    const window = this.current(client);
    if (!window || window.failures < this.limits.failures) return undefined;
    return Math.max(1, Math.ceil((window.startedAt + this.limits.windowSeconds * 1000 - this.now()) / 1000));
  }

  /** Counts a request from `client` whose token was not valid. */
  failed(client: string): void {
    const window = this.current(client);
    if (window) {
      window.failures++;
      return;
    }
    while (this.windows.size >= this.limits.maxClients) {
      const oldest = this.windows.keys().next().value;
      if (oldest === undefined) break;
      this.windows.delete(oldest);
    }
    this.windows.set(client, { startedAt: this.now(), failures: 1 });
  }

  /** Addresses counted now (bounded by maxClients). */
  get size(): number {
    return this.windows.size;
  }

  private current(client: string): Window | undefined {
    const window = this.windows.get(client);
    if (window && this.now() - window.startedAt >= this.limits.windowSeconds * 1000) {
      this.windows.delete(client);
      return undefined;
    }
    return window;
  }
}
