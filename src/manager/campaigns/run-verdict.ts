// What a campaign makes of a run that ended, read from its final report and its timeline. Every kind
// of failure counts against the wave's threshold: a failed backup, a revert, a boot fallback, a
// failed restore, a timeout, even when a retry got past it and the run ended verified ("recovered").
// The exceptions: a device that did not answer in preflight (nothing was changed, and the campaign
// tries it again later: "offline"), and one that already ran the image ("skipped", like a device the
// campaign left out from the start because the inventory said so).
import type { Cause } from '../procedure/causes.ts';
import type { RunOutcome, RunState } from '../store/records.ts';

export type RunResult = 'verified' | 'recovered' | 'failed' | 'offline' | 'skipped';

export interface RunVerdict {
  result: RunResult;
  /** The first failure's kind (offline, backupFailed, reverted, bootFallback, ...), null when none. */
  cause: string | null;
  /** Every kind of failure the timeline shows, in order, without repeats. */
  failures: string[];
  summary: string;
}

export interface EndedRun {
  state: RunState;
  phase: string;
  outcome: Pick<RunOutcome, 'state' | 'summary'> | null;
}

export interface TimelineLine {
  phase: string;
  kind: string;
  cause: string | null;
  /** The operation type of an operation's line (its detail's type), else null. */
  operation?: string | null;
}

// Timeline lines come from the database as text: the sets hold causes (checked here against the
// vocabulary) and are asked about any string.
/** Preflight causes that mean the device could not be reached at all. */
const offlineCauses: ReadonlySet<string> = new Set(['silent', 'socket'] satisfies Cause[]);
const timeoutCauses: ReadonlySet<string> = new Set(['silent', 'operationLost'] satisfies Cause[]);

function failureKind(line: TimelineLine): string | undefined {
  // A revert counts when one was ordered, not when the timeline only says there was nothing to revert.
  if (line.kind === 'operationStarted' && line.operation === 'revertSoftware') return 'reverted';
  if (line.kind !== 'phaseFailed') return undefined;
  // The run changed managers mid-transfer: the device did nothing wrong.
  if (line.cause === 'managerChanged') return undefined;
  if (line.cause === 'fellBack') return 'bootFallback';
  if (line.cause !== null && timeoutCauses.has(line.cause)) return 'timeout';
  return `${line.phase}Failed`;
}

export function runVerdict(run: EndedRun, timeline: readonly TimelineLine[]): RunVerdict {
  const summary = run.outcome?.summary ?? `run ended ${run.state}`;
  if (run.state === 'upToDate') return { result: 'skipped', cause: 'alreadyCurrent', failures: [], summary };
  const failures: string[] = [];
  for (const line of timeline) {
    const kind = failureKind(line);
    if (kind && !failures.includes(kind)) failures.push(kind);
  }
  const preflightFailures = timeline.filter((l) => l.kind === 'phaseFailed' && l.phase === 'preflight');
  const changedNothing = timeline.every((l) => l.phase === 'preflight' || l.kind === 'runEnded');
  if (
    run.state !== 'verified' &&
    changedNothing &&
    preflightFailures.length > 0 &&
    preflightFailures.every((l) => l.cause !== null && offlineCauses.has(l.cause))
  ) {
    return { result: 'offline', cause: 'offline', failures: [], summary };
  }
  if (run.state === 'verified') {
    return failures.length === 0 ? { result: 'verified', cause: null, failures, summary } : { result: 'recovered', cause: failures[0]!, failures, summary };
  }
  if (run.state === 'rolledBack' && !failures.includes('rolledBack')) failures.push('rolledBack');
  if (failures.length === 0) failures.push(run.state === 'aborted' ? 'aborted' : 'failed');
  return { result: 'failed', cause: failures[0]!, failures, summary };
}
