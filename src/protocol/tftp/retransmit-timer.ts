// One retransmission timer per transfer: doubles its delay after each silent period, up to a ceiling,
// and gives up after a number of retransmissions; any progress resets it.

export interface RetryPolicy {
  /** Delay before the first retransmission. */
  timeoutMs: number;
  /** Ceiling of the doubling delay. */
  maxTimeoutMs: number;
  /** Retransmissions of the same packet(s) before the transfer is declared dead. */
  retries: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { timeoutMs: 1000, maxTimeoutMs: 4000, retries: 5 };

/** The policy a peer asked for with the timeout option: that many seconds, no doubling beyond it. */
export function policyWithTimeout(policy: RetryPolicy, timeoutSeconds: number | undefined): RetryPolicy {
  if (timeoutSeconds === undefined) return policy;
  const timeoutMs = timeoutSeconds * 1000;
  return { ...policy, timeoutMs, maxTimeoutMs: Math.max(timeoutMs, policy.maxTimeoutMs) };
}

/**
 * Progress is frequent (every ACK at windowsize 1) and a timeout rare, so progress only notes the time
 * and the running timer, when it fires, re-arms for whatever remains of the new countdown: one clock
 * read per packet instead of re-inserting the timer in Node's timer list, and the retransmission still
 * comes `delay` after the last progress.
 */
export class RetransmitTimer {
  private attempts = 0;
  private delayMs: number;
  private timer: NodeJS.Timeout | undefined;
  /** The duration the Timeout object was created with. */
  private timerMs = 0;
  /** When the current countdown started (performance.now()). */
  private startedAt = 0;

  constructor(
    private readonly policy: RetryPolicy,
    private readonly retransmit: () => void,
    private readonly giveUp: () => void,
  ) {
    this.delayMs = policy.timeoutMs;
  }

  /** (Re)starts the countdown with the current delay; refresh() reuses one Timeout object. */
  arm(): void {
    this.startedAt = performance.now();
    this.schedule(this.delayMs);
  }

  /** The peer moved forward: back to the initial delay and a full set of retries. */
  progress(): void {
    this.attempts = 0;
    if (this.delayMs !== this.policy.timeoutMs || this.timer === undefined) {
      this.delayMs = this.policy.timeoutMs;
      this.arm();
      return;
    }
    this.startedAt = performance.now();
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Sets the timer `ms` from now, reusing the Timeout object when its duration is the same. */
  private schedule(ms: number): void {
    if (this.timer !== undefined && ms === this.timerMs) {
      this.timer.refresh();
      return;
    }
    this.stop();
    this.timerMs = ms;
    this.timer = setTimeout(() => this.fire(), ms);
  }

  private fire(): void {
    const remaining = this.startedAt + this.delayMs - performance.now();
    if (remaining > 0) {
      // There was progress since the timer was set: the countdown restarted then.
      this.schedule(Math.ceil(remaining));
      return;
    }
    if (this.attempts >= this.policy.retries) {
      this.stop();
      this.giveUp();
      return;
    }
    this.attempts += 1;
    this.delayMs = Math.min(this.delayMs * 2, this.policy.maxTimeoutMs);
    this.arm();
    this.retransmit();
  }
}
