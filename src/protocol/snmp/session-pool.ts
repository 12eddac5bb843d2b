// Sessions kept open between a manager's requests to the same device. A fresh SNMPv3 session costs a
// UDP socket and an engine discovery exchange (a request and a Report) before its first request; a run
// talks to its device a dozen times in a minute, so each of those would pay it again. A kept session
// knows the device's engine already; when the device rebooted meanwhile, its Report (new boots and
// time) makes net-snmp resynchronise and resend once, as after a discovery.
import { SnmpSession, type SnmpSessionOptions } from './session.ts';

export interface SnmpSessionPoolOptions {
  /** A session nobody used for this long is closed. */
  idleMs?: number;
  /** Sessions kept at most (each holds a UDP socket); the longest idle are closed first beyond it. */
  maxSessions?: number;
}

/** A session lent to one user until `release`. */
export interface SnmpLease {
  readonly session: SnmpSession;
  release(): void;
}

interface Entry {
  session: SnmpSession;
  key: string;
  users: number;
  idleSince: number;
}

export class SnmpSessionPool {
  readonly #entries = new Map<string, Entry>();
  readonly #idleMs: number;
  readonly #maxSessions: number;
  readonly #sweeper: NodeJS.Timeout;
  #closed = false;

  constructor(options: SnmpSessionPoolOptions = {}) {
    this.#idleMs = options.idleMs ?? 30_000;
    this.#maxSessions = options.maxSessions ?? 4_000;
    this.#sweeper = setInterval(() => this.#sweep(Date.now()), Math.max(100, Math.min(5_000, this.#idleMs / 2)));
    this.#sweeper.unref();
  }

  /** Sessions open now, lent or idle. */
  get size(): number {
    return this.#entries.size;
  }

  /** A session to `options.peer` with exactly these options: the kept one when there is one, else a new one. */
  lease(options: SnmpSessionOptions): SnmpLease {
    if (this.#closed) throw new Error('the SNMP session pool is closed');
    const key = keyOf(options);
    let entry = this.#entries.get(key);
    if (entry?.session.broken) {
      this.#drop(entry);
      entry = undefined;
    }
    if (!entry) {
      entry = { session: new SnmpSession(options), key, users: 0, idleSince: 0 };
      this.#entries.set(key, entry);
    }
    entry.users += 1;
    const lent = entry;
    let released = false;
    return {
      session: lent.session,
      release: () => {
        if (released) return;
        released = true;
        lent.users -= 1;
        lent.idleSince = Date.now();
        if (lent.session.broken || this.#closed) this.#drop(lent);
        else if (lent.users === 0) this.#trim();
      },
    };
  }

  /** Closes every session, lent ones included: for the manager's stop. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#sweeper);
    for (const entry of [...this.#entries.values()]) this.#drop(entry);
  }

  #sweep(now: number): void {
    for (const entry of [...this.#entries.values()]) {
      if (entry.users === 0 && now - entry.idleSince >= this.#idleMs) this.#drop(entry);
    }
  }

  /**
   * Beyond maxSessions, the longest idle go, down to nine tenths of it so that the sort is paid once
   * in a while rather than at every release.
   */
  #trim(): void {
    if (this.#entries.size <= this.#maxSessions) return;
    const idle = [...this.#entries.values()].filter((entry) => entry.users === 0).sort((a, b) => a.idleSince - b.idleSince);
    const excess = this.#entries.size - Math.floor(this.#maxSessions * 0.9);
    for (const entry of idle.slice(0, excess)) this.#drop(entry);
  }

  #drop(entry: Entry): void {
    if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
    entry.session.close();
  }
}

/** Everything that makes two sessions differ: a changed key or community is another session. */
function keyOf(options: SnmpSessionOptions): string {
  return JSON.stringify([
    options.peer.address,
    options.peer.port,
    options.sourceAddress ?? null,
    options.engineId?.toString('hex') ?? null,
    options.timeoutMs ?? null,
    options.retries ?? null,
    options.security,
  ]);
}
