// Runs whose row exists but whose workflow never started. Procedure.startRun inserts the run row and
// then starts the workflow; a manager that dies between the two leaves a row that is active (it keeps
// the device's one active-run slot) with nothing to move it on, forever. DBOS.launch() resumes only
// workflows it knows of, so after launch this sweep starts each such run's workflow under the run's
// ID, as startRun would have, and says so in the run's timeline.
//
// Several managers sharing one database may sweep at once, and startRun may be finishing its own
// start while a sweep looks: both are harmless, because a workflow ID is started at most once (see
// Procedure.resume) and the timeline event is written once per run (its step key is fixed).
import { DBOS } from '@dbos-inc/dbos-sdk';
import type { RunEventKind, RunKind } from '../store/records.ts';
import type { RunStore } from '../store/runs.ts';

/** The timeline event of a run this sweep started. */
export const runResumedKind: RunEventKind = 'runResumed';
/** One such event per run, whichever manager writes it and however often. */
export const runResumedStepKey = 'manager:resumedOrphan';

export interface OrphanSweepLog {
  info(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface OrphanSweepOptions {
  runs: Pick<RunStore, 'allActive' | 'recordEvent'>;
  log: OrphanSweepLog;
  /** How a run's workflow is started: Procedure.resume. */
  start: (run: { id: string; kind: RunKind }) => Promise<void>;
}

export interface OrphanSweepResult {
  /** Active runs looked at. */
  active: number;
  /** Runs whose workflow this sweep asked DBOS to start (DBOS runs each at most once, whoever asks). */
  started: string[];
  /** Runs whose workflow could not be started, with why (they are tried again at the next start). */
  failed: Array<{ runId: string; message: string }>;
}

export async function resumeOrphanRuns(options: OrphanSweepOptions): Promise<OrphanSweepResult> {
  const { start, runs } = options;
  // Every active run, oldest first; bounded by the devices (one active run per device).
  const active = await runs.allActive();
  const result: OrphanSweepResult = { active: active.length, started: [], failed: [] };
  for (const run of active) {
    try {
      if ((await DBOS.getWorkflowStatus(run.id)) !== null) continue;
      // Written before the start: a manager that dies in between leaves the event and the next sweep
      // starts the run without a second one.
      await runs.recordEvent(run.id, runResumedStepKey, {
        phase: run.phase,
        kind: runResumedKind,
        actor: 'manager',
        cause: 'workflowMissing',
        message: 'found without its workflow (the manager that created the run stopped before starting it); the manager starts it',
      });
      await start({ id: run.id, kind: run.kind });
      result.started.push(run.id);
      options.log.info({ runId: run.id }, 'run resumed: its workflow had never started');
    } catch (error) {
      const message = (error as Error).message;
      result.failed.push({ runId: run.id, message });
      options.log.error({ runId: run.id, err: error }, 'run whose workflow never started could not be started');
    }
  }
  return result;
}
