// Managers sharing one database behave as one system: each heartbeats in the managers table; at each
// beat it also sweeps for a manager that has gone silent, and the one manager that holds the sweep's
// advisory lock takes it over: has DBOS recover its pending workflows (runs and campaigns), which
// every live manager then shares out through DBOS's recovery queue. A manager that finds itself
// declared dead has lost its work to the others and must not run it on: it is told to stop at once.
import type { Logger } from 'pino';
import type { ManagerEndpoints, ManagerStore } from '../store/managers.ts';

export interface MembershipTiming {
  /** How often a manager heartbeats and sweeps. */
  heartbeatSeconds: number;
  /** Silence after which a manager is declared dead and its work recovered by the others. */
  deadAfterSeconds: number;
}

export const defaultMembershipTiming: MembershipTiming = { heartbeatSeconds: 5, deadAfterSeconds: 30 };

export interface MembershipOptions {
  managers: Pick<ManagerStore, 'register' | 'heartbeat' | 'stopped' | 'takeOverSilent'>;
  self: { executorId: string; host: string; pid: number; endpoints: ManagerEndpoints };
  timing: MembershipTiming;
  /** Has DBOS recover the pending workflows of a dead manager; how many it put back in line. */
  recover: (executorId: string) => Promise<number>;
  /** This manager was declared dead by another: its workflows are someone else's now. */
  onDeclaredDead: () => void;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
}

export function checkMembershipTiming(timing: MembershipTiming): MembershipTiming {
  const { heartbeatSeconds, deadAfterSeconds } = timing;
  if (!(Number.isFinite(heartbeatSeconds) && heartbeatSeconds > 0)) throw new RangeError(`heartbeat ${heartbeatSeconds} s is not a positive number`);
  // Three beats missed before a verdict: one slow beat (a busy database, a GC pause) is not a death.
  if (!(Number.isFinite(deadAfterSeconds) && deadAfterSeconds >= 3 * heartbeatSeconds)) {
    throw new RangeError(`dead after ${deadAfterSeconds} s must be at least three heartbeats (${3 * heartbeatSeconds} s)`);
  }
  return timing;
}

export class Membership {
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private stopping = false;
  /**
   * Since when this manager has reached the database at every beat. Only a manager that could itself
   * heartbeat all along may judge another silent: after the database was away (a restart), every
   * manager's last heartbeat is old, and none of them is dead.
   */
  private reachableSince = Date.now();

  private constructor(private readonly options: MembershipOptions) {}

  /** Registers this manager (up, a fresh life) and starts beating. */
  static async join(options: MembershipOptions): Promise<Membership> {
    checkMembershipTiming(options.timing);
    await options.managers.register(options.self);
    const membership = new Membership(options);
    membership.schedule();
    return membership;
  }

  /** One heartbeat and one sweep; exposed for tests that do not wait for the timer. */
  async beat(): Promise<void> {
    const { managers, self, timing, log } = this.options;
    const startedAt = Date.now();
    let up: boolean;
    try {
      // The store waits for a database that went away (reconnecting-pool.ts): a beat that took
      // longer than a beat's interval means the database was out of reach meanwhile.
      up = await managers.heartbeat(self.executorId);
    } catch (error) {
      this.reachableSince = Number.POSITIVE_INFINITY;
      throw error;
    }
    if (this.reachableSince === Number.POSITIVE_INFINITY || Date.now() - startedAt > timing.heartbeatSeconds * 1000) this.reachableSince = Date.now();
    if (!up) {
      if (this.stopping) return;
      this.stopping = true;
      log.error({ executorId: self.executorId }, 'this manager was declared dead by another, which took over its work: stopping');
      this.options.onDeclaredDead();
      return;
    }
    if (Date.now() - this.reachableSince < timing.deadAfterSeconds * 1000) return;
    const taken = await managers.takeOverSilent(self.executorId, timing.deadAfterSeconds, this.options.recover);
    for (const executorId of taken ?? []) log.warn({ executorId, by: self.executorId }, 'silent manager taken over: its workflows recovered');
  }

  /** Stops beating, the manager stopping on purpose: its work waits for its restart, or for a takeover if it does not come back. */
  async leave(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.beating;
    await this.options.managers.stopped(this.options.self.executorId);
  }

  private schedule(): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.beating = this.beat()
        .catch((error: Error) => this.options.log.warn({ err: error }, 'heartbeat failed (the database may be restarting); trying again'))
        .finally(() => this.schedule());
    }, this.options.timing.heartbeatSeconds * 1000);
    this.timer.unref();
  }
}
