// Where the runs spent their time, from their timelines: how long each phase took (first start to its
// last success or failure) and how operations ended (notification or polling), retries and reverts.
import type { RunDetailJson } from './api.ts';
import { percentileOf as percentile } from './mode.ts';

const phaseOrder = ['preflight', 'backup', 'upgrade', 'migrate', 'restore', 'verify'];

/** One line per phase: "upgrade p50 12.3 s p90 20.1 s (1000 runs)". */
export function phaseDurations(details: RunDetailJson[]): string[] {
  const byPhase = new Map<string, number[]>();
  for (const { timeline } of details) {
    const started = new Map<string, number>();
    const ended = new Map<string, number>();
    for (const event of timeline) {
      const at = Date.parse(event.at);
      if (event.kind === 'phaseStarted' && !started.has(event.phase)) started.set(event.phase, at);
      if (event.kind === 'phaseSucceeded' || event.kind === 'phaseFailed') ended.set(event.phase, at);
    }
    for (const [phase, at] of started) {
      const end = ended.get(phase);
      if (end === undefined) continue;
      byPhase.set(phase, [...(byPhase.get(phase) ?? []), end - at]);
    }
  }
  return phaseOrder
    .filter((phase) => byPhase.has(phase))
    .map((phase) => {
      const sorted = byPhase.get(phase)!.sort((a, b) => a - b);
      return `${phase} p50 ${(percentile(sorted, 0.5) / 1000).toFixed(1)} s, p90 ${(percentile(sorted, 0.9) / 1000).toFixed(1)} s`;
    });
}

/** Counts of what the runs went through: operations ended by notification or by polling, retries, reverts. */
export function eventCounts(details: RunDetailJson[]): Record<string, number> {
  const counts: Record<string, number> = { byNotification: 0, byPolling: 0, retryScheduled: 0, revert: 0 };
  for (const { timeline } of details) {
    for (const event of timeline) {
      if (event.kind === 'operationFinished' && event.detail.via === 'notification') counts.byNotification!++;
      if (event.kind === 'operationFinished' && event.detail.via === 'polling') counts.byPolling!++;
      if (event.kind === 'retryScheduled') counts.retryScheduled!++;
      if (event.kind === 'revert') counts.revert!++;
    }
  }
  return counts;
}
