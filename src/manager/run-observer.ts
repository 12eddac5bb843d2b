// Metrics and log lines about runs, derived in one place from what the runs record: every timeline
// event a run records reaches LiveEvents (runChanged with lastEvent), and is counted and logged here.
// The file service's completed transfers are counted from its offerUsed events. The procedure and the
// file service know nothing of metrics.
import type { Logger } from 'pino';
import type { ManagerMetrics } from './metrics.ts';
import type { RunStore } from './store/runs.ts';
import type { ManagerFiles } from './files/manager-files.ts';
import type { LiveEvents, RunChanged } from './live-events.ts';

/** Phase attempts under way, by run; bounded like the procedure's other in-memory views. */
const trackedRunsLimit = 100_000;

/** The operation that puts the previous software back (step 160); its end is a revert done. */
const revertOperation = 'revertSoftware';

export interface RunObserverParts {
  live: LiveEvents;
  files: Pick<ManagerFiles, 'on' | 'off'>;
  metrics: ManagerMetrics;
  /** Where the active-runs gauge reads its figures when scraped. */
  runs: Pick<RunStore, 'countActive'>;
  log: Logger;
}

export function observeRuns({ live, files, metrics, runs, log }: RunObserverParts): () => void {
  const attempts = new Map<string, { phase: string; startedAt: number }>();

  const onRun = (change: RunChanged) => {
    const event = change.lastEvent;
    if (!event) return; // a progress report, not a recorded event
    const { runId, deviceId, phase } = change;
    log.info({ runId, deviceId, phase, state: change.state, event: event.kind, ...(event.cause ? { cause: event.cause } : {}) }, event.message);
    const at = Date.parse(event.at);
    switch (event.kind) {
      case 'phaseStarted':
        if (!attempts.has(runId) && attempts.size >= trackedRunsLimit) attempts.clear();
        attempts.set(runId, { phase, startedAt: at });
        break;
      case 'phaseSucceeded':
      case 'phaseFailed': {
        const attempt = attempts.get(runId);
        if (attempt?.phase === phase)
          metrics.phases.observe({ phase, result: event.kind === 'phaseSucceeded' ? 'succeeded' : 'failed' }, Math.max(0, at - attempt.startedAt) / 1000);
        attempts.delete(runId);
        if (event.kind === 'phaseFailed') metrics.phaseFailures.inc({ phase, cause: event.cause ?? 'unknown' });
        break;
      }
      case 'retryScheduled':
        metrics.retries.inc({ phase });
        break;
      case 'pollingFallback':
        metrics.notificationsMissed.inc({ phase });
        break;
      case 'operationFinished':
        if (event.operation === revertOperation) metrics.reverts.inc({ phase, result: event.cause === null ? 'ok' : 'failed' });
        break;
      case 'runEnded':
        // The run's end event carries its final state as the cause (procedure/run-steps.ts finish).
        metrics.runsEnded.inc({ outcome: event.cause ?? change.state, phase });
        attempts.delete(runId);
        break;
    }
  };

  const onFile = (offer: { protocol: string }, direction: string, bytes: number) => {
    metrics.fileBytes.inc({ protocol: offer.protocol, direction }, bytes);
  };

  metrics.countActiveRunsWith(() => runs.countActive());
  const stopRuns = live.on('runChanged', onRun);
  files.on('offerUsed', onFile);
  return () => {
    stopRuns();
    files.off('offerUsed', onFile);
  };
}
