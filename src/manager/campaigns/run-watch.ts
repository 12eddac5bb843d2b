// Where a campaign's runs stand, read in two queries however many there are: the runs, then the
// timelines of those that ended, judged by runVerdict.
import type pg from 'pg';
import type { RunOutcome, RunState } from '../store/records.ts';
import { activeRunStates } from '../store/runs.ts';
import { runVerdict, type TimelineLine } from './run-verdict.ts';
import type { RunObservation } from './scheduler.ts';

export async function readRuns(pool: pg.Pool, runs: ReadonlyArray<{ deviceId: number; runId: string }>): Promise<RunObservation[]> {
  if (runs.length === 0) return [];
  const ids = runs.map((r) => r.runId);
  const rows = await pool.query<{ id: string; state: RunState; phase: string; outcome: RunOutcome | null }>(
    `SELECT id, state, phase, outcome FROM safeflash.runs WHERE id = ANY($1)`,
    [ids],
  );
  const byId = new Map(rows.rows.map((r) => [r.id, r]));
  const ended = rows.rows.filter((r) => !activeRunStates.includes(r.state)).map((r) => r.id);
  const timelines = new Map<string, TimelineLine[]>();
  if (ended.length > 0) {
    const lines = await pool.query<TimelineLine & { run_id: string }>(
      `SELECT run_id, phase, kind, cause, detail->>'type' AS operation FROM safeflash.run_events WHERE run_id = ANY($1) ORDER BY id`,
      [ended],
    );
    for (const line of lines.rows) {
      const list = timelines.get(line.run_id) ?? [];
      list.push({ phase: line.phase, kind: line.kind, cause: line.cause });
      timelines.set(line.run_id, list);
    }
  }
  return runs.map(({ deviceId, runId }): RunObservation => {
    const row = byId.get(runId);
    if (!row) return { deviceId, runId, state: 'missing' };
    if (row.state === 'running' || row.state === 'waiting') return { deviceId, runId, state: row.state };
    return { deviceId, runId, state: 'ended', verdict: runVerdict(row, timelines.get(runId) ?? []) };
  });
}
