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

export class RetransmitTimer {
  private attempts = 0;
  private delayMs: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly policy: RetryPolicy,
    private readonly retransmit: () => void,
    private readonly giveUp: () => void,
  ) {
    this.delayMs = policy.timeoutMs;
  }

  /** (Re)starts the countdown with the current delay; refresh() reuses one Timeout object. */
  arm(): void {
    if (this.timer === undefined) {
      this.timer = setTimeout(() => this.fire(), this.delayMs);
    } else {
      this.timer.refresh();
    }
  }

  /** The peer moved forward: back to the initial delay and a full set of retries. */
  progress(): void {
    this.attempts = 0;
    if (this.delayMs !== this.policy.timeoutMs) this.replaceDelay(this.policy.timeoutMs);
    this.arm();
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private replaceDelay(delayMs: number): void {
    this.delayMs = delayMs;
    this.stop();
  }

  private fire(): void {
    if (this.attempts >= this.policy.retries) {
      this.stop();
      this.giveUp();
      return;
    }
    this.attempts += 1;
    this.replaceDelay(Math.min(this.delayMs * 2, this.policy.maxTimeoutMs));
    this.arm();
    this.retransmit();
  }
}
