// What a run's summary counts, read from the typed data of its timeline (never from an event's text),
// in one place so that the CLI, the demo, the API and the dashboard say the same.
import type { RunEvent } from '../store/records.ts';

export interface RunCounts {
  /** Retries the policy scheduled, in any phase. */
  retries: number;
  /**
   * Reverts ordered: revertSoftware operations sent to the device (step 160 and the rollback). A device
   * that fell back to its old bank by itself, or a failure before the new software ran, orders none.
   */
  reverts: number;
}

export function runCounts(timeline: ReadonlyArray<Pick<RunEvent, 'kind' | 'detail'>>): RunCounts {
  let retries = 0;
  let reverts = 0;
  for (const event of timeline) {
    if (event.kind === 'retryScheduled') retries += 1;
    else if (event.kind === 'operationStarted' && event.detail.type === 'revertSoftware') reverts += 1;
  }
  return { retries, reverts };
}
