// Where a campaign's runs stand, read in two queries however many there are: the runs, then the
// timelines of those that ended, judged by runVerdict. Only what changed since the campaign last saw
// each run is answered: the answer is recorded at every look, and most runs are where they were.
import { activeRunStates, type RunStore } from '../store/runs.ts';
import { runVerdict, type TimelineLine } from './run-verdict.ts';
import type { RunObservation, WatchedRun } from './scheduler.ts';

export async function readRuns(store: Pick<RunStore, 'standings' | 'timelineLines'>, runs: readonly WatchedRun[]): Promise<RunObservation[]> {
  if (runs.length === 0) return [];
  const standings = await store.standings(runs.map((r) => r.runId));
  const byId = new Map(standings.map((r) => [r.id, r]));
  const ended = standings.filter((r) => !activeRunStates.includes(r.state)).map((r) => r.id);
  const timelines = new Map<string, TimelineLine[]>();
  for (const { runId, ...line } of await store.timelineLines(ended)) {
    const list = timelines.get(runId) ?? [];
    list.push(line);
    timelines.set(runId, list);
  }
  return runs.flatMap(({ deviceId, runId, state: seen }): RunObservation[] => {
    const row = byId.get(runId);
    if (!row) return [{ deviceId, runId, state: 'missing' }];
    if (row.state === 'running' || row.state === 'waiting' || row.state === 'staged') return row.state === seen ? [] : [{ deviceId, runId, state: row.state }];
    return [{ deviceId, runId, state: 'ended', verdict: runVerdict(row, timelines.get(runId) ?? []) }];
  });
}
