// The run_steps table: one row per durable step a run took, with the step's answer (plain JSON). Rows
// are only ever added; the first row written at a place in a run is the one that counts, so two
// executions of one run (a manager taken over while it still ran) go on with the same answers.
import type pg from 'pg';

export interface StepRecord {
  name: string;
  output: unknown;
}

export class StepRecords {
  constructor(private readonly pool: pg.Pool) {}

  /** Every step the run has recorded, by its place in the run (1, 2, …). */
  async of(runId: string): Promise<Map<number, StepRecord>> {
    const result = await this.pool.query<{ seq: number; name: string; output: unknown }>(
      'SELECT seq, name, output FROM safeflash.run_steps WHERE run_id = $1',
      [runId],
    );
    return new Map(result.rows.map((row) => [row.seq, { name: row.name, output: row.output }]));
  }

  /**
   * Records the step's answer at its place, unless one is there already; returns the record that
   * stands (this one, or the one written first). One statement: the step's whole cost in the database.
   */
  async record(runId: string, seq: number, name: string, output: unknown): Promise<StepRecord> {
    const result = await this.pool.query<{ name: string; output: unknown }>(
      `WITH added AS (
         INSERT INTO safeflash.run_steps (run_id, seq, name, output) VALUES ($1, $2, $3, $4)
         ON CONFLICT (run_id, seq) DO NOTHING RETURNING name, output
       )
       SELECT name, output FROM added
       UNION ALL
       SELECT name, output FROM safeflash.run_steps WHERE run_id = $1 AND seq = $2 AND NOT EXISTS (SELECT 1 FROM added)`,
      [runId, seq, name, JSON.stringify(output ?? null)],
    );
    const row = result.rows[0];
    if (!row) throw new Error(`run ${runId}: step ${seq} (${name}) was neither recorded nor found`);
    return row;
  }
}
