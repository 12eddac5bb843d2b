// New runs wait in one DBOS queue that every manager on the database serves: whichever manager has
// room takes the next run, within a limit for the whole system and a limit per manager. A run in
// the queue has its workflow's row already (ENQUEUED), so it is never lost nor started twice; its
// slot is held while the run is under way, waits included.
import { DBOS } from '@dbos-inc/dbos-sdk';
import { checkRunQueueLimits, defaultRunQueueLimits, type RunQueueLimits } from './run-queue-limits.ts';

export const runQueueName = 'safeflash.runs';

/** How often an idle manager asks the queue for work: a new run waits at most about this long. */
const pollingMs = 200;

/** Declares the queue (its limits are the latest manager's) so that this manager serves it; after DBOS.launch. */
export async function serveRunQueue(limits: RunQueueLimits = defaultRunQueueLimits): Promise<void> {
  checkRunQueueLimits(limits);
  await DBOS.registerQueue(runQueueName, {
    globalConcurrency: limits.maxRuns,
    workerConcurrency: limits.maxRunsPerManager,
    minPollingIntervalMs: pollingMs,
  });
}
