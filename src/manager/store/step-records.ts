// The run_steps table: one row per durable step a run took, with the step's answer (plain JSON). Rows
// are only ever added; the first row written at a place in a run is the one that counts, so two
// executions of one run (a manager taken over while it still ran) go on with the same answers.
// Steps and the timeline events that came with them are written together, in one statement.
import type pg from 'pg';
import type { Queryable } from './backups.ts';
import type { RunState } from './records.ts';
import { activeRunStates, type NewEvent, type RunPosition } from './runs.ts';
import { inTransaction } from './transaction.ts';

export interface StepRecord {
  name: string;
  output: unknown;
}

/** A step's answer to write at its place in the run. */
export interface StepToWrite extends StepRecord {
  seq: number;
}

/** A timeline event to write once under its key, with the time it happened (it may be written a little later). */
export interface EventToWrite {
  key: string;
  at: Date;
  event: NewEvent;
}

export interface Written {
  /** The steps whose place held another answer already (written by another execution of the run). */
  standing: StepToWrite[];
  /** The keys of the events written now (a replay's are there already). */
  events: string[];
  /** Where the run stands after them; absent when no event moved it (none new, or the run had ended). */
  run?: RunPosition;
}

/**
 * A write of another table that rides with a run's journal, in its transaction (an offer's row, the
 * inventory's reading of the device): made once the journal writes, before the run acts. Without `db`
 * it writes on its own. It may run twice (a transaction cut by a lost connection is tried again whole).
 */
export type RidingWrite = (db?: Queryable) => Promise<unknown>;

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
   * Writes the steps' answers and the events, in one statement: each step once at its place, each
   * event once under its key, and the run's phase, state and image moved as its new events say, in
   * their order. Says which places held another answer already, and which events are new.
   */
  async write(runId: string, steps: StepToWrite[], events: EventToWrite[]): Promise<Written> {
    return journalStatement(this.pool, runId, steps, events);
  }

  /**
   * In one transaction (one commit): the `riding` writes, the journal as write() writes it, `check` of
   * what was written (it throws to undo it all), then `work` on the same connection. The run acts
   * (orders, waits, ends) in `work` or after it, on what is written.
   */
  async writeWith<T>(
    runId: string,
    journal: { steps: StepToWrite[]; events: EventToWrite[]; riding: RidingWrite[] },
    check: (written: Written) => void,
    work: (db: Queryable) => Promise<T>,
  ): Promise<{ written: Written; result: T }> {
    return inTransaction(this.pool, async (db) => {
      for (const write of journal.riding) await write(db);
      const written = await journalStatement(db, runId, journal.steps, journal.events);
      check(written);
      return { written, result: await work(db) };
    });
  }
}

async function journalStatement(db: Queryable, runId: string, steps: StepToWrite[], events: EventToWrite[]): Promise<Written> {
  const result = await db.query<{
    standing: StepToWrite[] | null;
    events: string[] | null;
    device_id: number | null;
    state: RunState | null;
    phase: RunPosition['phase'] | null;
  }>({
    // Named: each connection plans it once.
    name: 'safeflash.writeJournal',
    text: `WITH steps_in AS (
         SELECT * FROM json_to_recordset($2::json) AS s(seq integer, name text, output json)
       ), added AS (
         -- A step that answered nothing (null) is recorded so: json_to_recordset reads a JSON null as SQL NULL.
         INSERT INTO safeflash.run_steps (run_id, seq, name, output) SELECT $1, seq, name, coalesce(output, 'null'::json) FROM steps_in
         ON CONFLICT (run_id, seq) DO NOTHING RETURNING seq
       ), events_in AS (
         SELECT * FROM json_to_recordset($3::json)
           AS e(n integer, key text, at timestamptz, phase text, kind text, actor text, cause text, message text, detail jsonb, state text, image text)
       ), inserted AS (
         INSERT INTO safeflash.run_events (run_id, at, phase, kind, actor, cause, message, detail, step_key)
         SELECT $1, at, phase, kind, actor, cause, message, coalesce(detail, '{}'), key FROM events_in ORDER BY n
         ON CONFLICT (run_id, step_key) DO NOTHING RETURNING step_key
       ), new_events AS (
         SELECT * FROM events_in WHERE key IN (SELECT step_key FROM inserted)
       ), moved AS (
         UPDATE safeflash.runs SET
           phase = (SELECT phase FROM new_events ORDER BY n DESC LIMIT 1),
           state = coalesce((SELECT state FROM new_events WHERE state IS NOT NULL ORDER BY n DESC LIMIT 1), state),
           image_sha256 = coalesce((SELECT image FROM new_events WHERE image IS NOT NULL ORDER BY n DESC LIMIT 1), image_sha256),
           updated_at = now()
          WHERE id = $1 AND state = ANY($4) AND EXISTS (SELECT 1 FROM new_events)
          RETURNING device_id, state, phase
       )
       SELECT
         (SELECT json_agg(json_build_object('seq', r.seq, 'name', r.name, 'output', r.output)) FROM safeflash.run_steps r
           WHERE r.run_id = $1 AND r.seq IN (SELECT seq FROM steps_in) AND r.seq NOT IN (SELECT seq FROM added)) AS standing,
         (SELECT json_agg(step_key) FROM inserted) AS events,
         moved.device_id, moved.state, moved.phase
       FROM (SELECT 1) AS one LEFT JOIN moved ON true`,
    values: [
      runId,
      JSON.stringify(steps.map(({ seq, name, output }) => ({ seq, name, output: output ?? null }))),
      JSON.stringify(
        events.map(({ key, at, event }, n) => ({
          n,
          key,
          at: at.toISOString(),
          phase: event.phase,
          kind: event.kind,
          actor: event.actor,
          cause: event.cause ?? null,
          message: event.message,
          detail: event.detail ?? {},
          state: event.state ?? null,
          image: event.imageSha256 ?? null,
        })),
      ),
      activeRunStates,
    ],
  });
  const row = result.rows[0]!;
  return {
    standing: row.standing ?? [],
    events: row.events ?? [],
    ...(row.device_id === null ? {} : { run: { deviceId: Number(row.device_id), state: row.state!, phase: row.phase! } }),
  };
}
