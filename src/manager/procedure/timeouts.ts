// How long each phase may take before silence counts as failure, and how often a waiting run looks at
// the device itself when no notification came. The phase limits here are the manager's defaults: each
// run keeps its own (see run-options.ts), which may differ.
import type { TimeLimits } from '../store/records.ts';

export interface PhaseTimeouts {
  /** A configuration upload (backup) from start to completion. */
  backupSeconds: number;
  /** An image download into the inactive bank, verification included. */
  downloadSeconds: number;
  /** A reboot or revert: from the order to the device running again. */
  bootSeconds: number;
  /** A configuration download and apply (restore). */
  restoreSeconds: number;
  /** Verify: how long the device may stay silent while its configuration and version are read back. */
  verifySeconds: number;
  /** How long a wait listens for a notification before it reads the operation row itself. */
  pollSeconds: number;
  /** How often a run waiting for an operator checks for a decision that reached the table but not the run. */
  decisionRecheckSeconds: number;
  /** How long a run waits for an operator before it gives up and aborts. */
  decisionWaitSeconds: number;
  /**
   * How long an activation waits for the device's calls to end (a run that activates when idle); past
   * it, the run stays staged and says so.
   */
  idleWaitSeconds: number;
  /** How long a staged run listens between looks at its activation request (a wake-up lost with a connection). */
  stagedRecheckSeconds: number;
}

export const defaultPhaseTimeouts: PhaseTimeouts = {
  backupSeconds: 120,
  downloadSeconds: 900,
  bootSeconds: 300,
  restoreSeconds: 120,
  verifySeconds: 120,
  pollSeconds: 5,
  decisionRecheckSeconds: 3600,
  decisionWaitSeconds: 30 * 86_400,
  idleWaitSeconds: 3600,
  stagedRecheckSeconds: 3600,
};

export function resolveTimeouts(overrides: Partial<PhaseTimeouts> = {}): PhaseTimeouts {
  const timeouts = { ...defaultPhaseTimeouts, ...overrides };
  for (const [name, value] of Object.entries(timeouts)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new RangeError(`timeout ${name} must be a positive number of seconds`);
  }
  return timeouts;
}

/** The phase limits among the timeouts, as a run keeps them. */
export function timeLimitsOf(timeouts: PhaseTimeouts): TimeLimits {
  return {
    backup: timeouts.backupSeconds,
    download: timeouts.downloadSeconds,
    boot: timeouts.bootSeconds,
    restore: timeouts.restoreSeconds,
    verify: timeouts.verifySeconds,
  };
}

/** The inverse of timeLimitsOf, for limits an operator gives the manager (`serve --time-limits`). */
export function timeoutsOf(limits: Partial<TimeLimits>): Partial<PhaseTimeouts> {
  const names = { backup: 'backupSeconds', download: 'downloadSeconds', boot: 'bootSeconds', restore: 'restoreSeconds', verify: 'verifySeconds' } as const;
  return Object.fromEntries(Object.entries(limits).map(([name, seconds]) => [names[name as keyof TimeLimits], seconds]));
}
