// The runs, their timelines and the operators' decisions. A run row is created when a run starts and
// kept current (state, phase) by the run's own steps; events and decisions are only ever added. Events
// written from a durable step carry the step's key, so a step replayed after a crash adds nothing twice.
import { inTransaction } from './transaction.ts';
import type pg from 'pg';
import type { Queryable } from './backups.ts';
import { Batched, inAskedOrder } from './batched.ts';
import type {
  Actor,
  DecisionAnswer,
  DecisionRecord,
  Phase,
  RunEvent,
  RunEventCause,
  RunEventDetail,
  RunEventKind,
  RunKind,
  RunOutcome,
  RunOptions,
  RunPolicy,
  RunRecord,
  RunState,
} from './records.ts';

export const activeRunStates: readonly RunState[] = ['running', 'waiting', 'staged'];

/** How a run waits for an operator: for a decision after a failure, or for the activation of its staged software. */
export type ParkedState = Extract<RunState, 'waiting' | 'staged'>;

interface RunRow {
  id: string;
  kind: RunKind;
  number: string;
  device_id: number;
  image_sha256: string | null;
  policy: RunPolicy;
  state: RunState;
  phase: Phase;
  started_by: string;
  created_at: Date;
  updated_at: Date;
  outcome: RunOutcome | null;
  options: RunOptions | null;
  cancel_requested_by: string | null;
  cancel_requested_at: Date | null;
}

interface EventRow {
  id: string;
  run_id: string;
  at: Date;
  phase: Phase;
  kind: RunEventKind;
  actor: Actor;
  cause: RunEventCause | null;
  message: string;
  detail: RunEventDetail;
}

interface DecisionRow {
  id: string;
  run_id: string;
  at: Date;
  actor: Actor;
  answer: DecisionAnswer;
  image_sha256: string | null;
  backup_sha256: string | null;
}

const runColumns =
  'id, kind, number, device_id, image_sha256, policy, state, phase, started_by, created_at, updated_at, outcome, options, cancel_requested_by, cancel_requested_at';

function toRun(row: RunRow): RunRecord {
  return {
    id: row.id,
    kind: row.kind,
    deviceId: row.device_id,
    imageSha256: row.image_sha256,
    policy: row.policy,
    state: row.state,
    phase: row.phase,
    startedBy: row.started_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    outcome: row.outcome,
    options: row.options,
    cancelRequestedBy: row.cancel_requested_by,
    cancelRequestedAt: row.cancel_requested_at,
  };
}

function toEvent(row: EventRow): RunEvent {
  return {
    id: Number(row.id),
    runId: row.run_id,
    at: row.at,
    phase: row.phase,
    kind: row.kind,
    actor: row.actor,
    cause: row.cause,
    message: row.message,
    detail: row.detail,
  };
}

function toDecision(row: DecisionRow): DecisionRecord {
  return {
    id: Number(row.id),
    runId: row.run_id,
    at: row.at,
    actor: row.actor,
    answer: row.answer,
    imageSha256: row.image_sha256,
    backupSha256: row.backup_sha256,
  };
}

/** The device already has a run that has not ended. */
export class ActiveRunError extends Error {
  override name = 'ActiveRunError';
  constructor(
    readonly activeRunId: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

export interface NewRun {
  kind: RunKind;
  deviceId: number;
  imageSha256: string | null;
  policy: RunPolicy;
  options: RunOptions;
  startedBy: Actor;
  /** The run's ID when the caller fixes it (a campaign, so that a replayed start finds its run); else run-<number>. */
  id?: string;
}

/** Where a run stands after an event moved it: what live displays show of it. */
export interface RunPosition {
  deviceId: number;
  state: RunState;
  phase: Phase;
}

/** An event written; `run` is absent when the run had already ended (its row did not move). */
export interface RecordedEvent {
  run?: RunPosition;
}

export interface NewEvent {
  phase: Phase;
  kind: RunEventKind;
  actor: Actor;
  cause?: RunEventCause | null;
  message: string;
  detail?: RunEventDetail;
  /** The run's state from this event on, when it changes it. */
  state?: RunState;
  /** The image the run installs from this event on, when it changes it (an operator's corrected image). */
  imageSha256?: string;
}

export interface RunFilter {
  deviceId?: number;
  state?: RunState;
  /** Newest first; default 100, at most 1000. */
  limit?: number;
}

/** What became of one run asked for in a batch: made, left out for a clash, or refused by the database. */
type Creation = { row: RunRow } | { clash: true } | { error: unknown };

/** A run not ended, as the orphan sweep sees it. */
export interface ActiveRun {
  id: string;
  kind: RunKind;
  phase: Phase;
}

export interface ActiveRunCount {
  phase: string;
  state: string;
  count: number;
}

export interface RunStanding {
  id: string;
  state: RunState;
  phase: Phase;
  outcome: RunOutcome | null;
}

/** One line of a run's timeline, reduced to what judges the run: phase, kind, cause, the operation it is about. */
export interface TimelineLineOf {
  runId: string;
  phase: Phase;
  kind: RunEventKind;
  cause: string | null;
  operation: string | null;
}

export class RunStore {
  /** The runs' looks for a cancel request at their safe points, made together when many runs look at once: one statement. */
  readonly #cancelLooks = new Batched<string, Actor | undefined>((runIds) => this.#cancelRequests(runIds));
  /** Runs created at the same moment (a campaign's tick starts many), made in one statement and one commit. */
  readonly #creates = new Batched<NewRun, Creation>((runs) => this.#insert(runs));
  /** Runs read at the same moment (a campaign's tick looks for the runs it starts), in one statement. */
  readonly #reads = new Batched<string, RunRecord | undefined>((ids) => this.#getMany(ids));

  constructor(private readonly pool: pg.Pool) {}

  /**
   * Creates the run (running, in preflight); refuses a second active run on the device. Runs asked for
   * at the same moment (a campaign's tick, a batch of the API) are inserted together: one statement.
   */
  async create(run: NewRun): Promise<RunRecord> {
    const created = await this.#creates.run(run);
    if ('row' in created) return toRun(created.row);
    if ('error' in created) throw created.error;
    const active = await this.active(run.deviceId);
    throw new ActiveRunError(
      active?.id,
      `device ${run.deviceId} already has an active run${active ? ` (${active.id}, ${active.state} in ${active.phase})` : ''}`,
    );
  }

  /**
   * Inserts the runs in one statement. A run whose ID or device's active run is there already is left
   * out (a clash); a statement the database refuses whole (a device or image removed meanwhile) is
   * tried again run by run, so that one refused run does not refuse the others.
   */
  async #insert(runs: NewRun[]): Promise<Creation[]> {
    try {
      return await this.#insertTogether(runs);
    } catch (error) {
      if (runs.length === 1) return [{ error }];
      return Promise.all(
        runs.map((run) =>
          this.#insertTogether([run]).then(
            ([created]) => created!,
            (alone: unknown) => ({ error: alone }),
          ),
        ),
      );
    }
  }

  async #insertTogether(runs: NewRun[]): Promise<Creation[]> {
    const result = await this.pool.query<RunRow & { n: number }>(
      `WITH asked AS (
         SELECT r.*, nextval('safeflash.run_numbers') AS number
           FROM json_to_recordset($1::json) AS r(n integer, id text, kind text, device_id integer, image_sha256 text, policy jsonb, started_by text, options jsonb)
       ), added AS (
         INSERT INTO safeflash.runs (id, kind, number, device_id, image_sha256, policy, state, phase, started_by, options)
         SELECT coalesce(id, 'run-' || number), kind, number, device_id, image_sha256, policy, 'running', 'preflight', started_by, options FROM asked ORDER BY n
         ON CONFLICT DO NOTHING
         RETURNING ${runColumns}
       )
       SELECT asked.n, added.* FROM asked LEFT JOIN added ON added.number = asked.number ORDER BY asked.n`,
      [
        JSON.stringify(
          runs.map((run, n) => ({
            n,
            id: run.id ?? null,
            kind: run.kind,
            device_id: run.deviceId,
            image_sha256: run.imageSha256,
            policy: run.policy,
            started_by: run.startedBy,
            options: run.options,
          })),
        ),
      ],
    );
    return result.rows.map((row): Creation => (row.id === null ? { clash: true } : { row }));
  }

  /** Removes a run that never got going (its workflow could not be started); only a run with no events. */
  async discard(id: string): Promise<void> {
    await this.pool.query(`DELETE FROM safeflash.runs WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM safeflash.run_events WHERE run_id = $1)`, [id]);
  }

  /** The run (read by a statement that starts after the call, with the reads of other callers asking at once). */
  async get(id: string): Promise<RunRecord | undefined> {
    return this.#reads.run(id);
  }

  async #getMany(ids: string[]): Promise<Array<RunRecord | undefined>> {
    const result = await this.pool.query<RunRow>(`SELECT ${runColumns} FROM safeflash.runs WHERE id = ANY($1::text[])`, [[...new Set(ids)]]);
    return inAskedOrder(ids, result.rows, (row) => row.id).map((row) => row && toRun(row));
  }

  /** The run with its number (see number()), in one read. */
  async numbered(id: string): Promise<{ run: RunRecord; number: number } | undefined> {
    const result = await this.pool.query<RunRow>(`SELECT ${runColumns} FROM safeflash.runs WHERE id = $1`, [id]);
    const row = result.rows[0];
    return row ? { run: toRun(row), number: Number(row.number) } : undefined;
  }

  /** The run's number, which places its operations on the device (see procedure/operation-index.ts). */
  async number(id: string): Promise<number | undefined> {
    const result = await this.pool.query<{ number: string }>(`SELECT number FROM safeflash.runs WHERE id = $1`, [id]);
    return result.rows[0] ? Number(result.rows[0].number) : undefined;
  }

  /** Every active run of every device, oldest first: what the orphan sweep at start looks at. */
  async allActive(): Promise<ActiveRun[]> {
    const result = await this.pool.query<ActiveRun>(`SELECT id, kind, phase FROM safeflash.runs WHERE state = ANY($1) ORDER BY number`, [activeRunStates]);
    return result.rows;
  }

  /** Active runs counted by phase and state: the runs-active gauge, read when metrics are scraped. */
  async countActive(): Promise<ActiveRunCount[]> {
    const result = await this.pool.query<ActiveRunCount>(
      `SELECT phase, state, count(*)::integer AS count FROM safeflash.runs WHERE state = ANY($1) GROUP BY phase, state`,
      [activeRunStates],
    );
    return result.rows;
  }

  /** Where the runs named stand (unknown ids are left out): a campaign's look at its runs. */
  async standings(ids: readonly string[]): Promise<RunStanding[]> {
    if (ids.length === 0) return [];
    const result = await this.pool.query<RunStanding>(`SELECT id, state, phase, outcome FROM safeflash.runs WHERE id = ANY($1)`, [ids]);
    return result.rows;
  }

  /** The timeline lines of the runs named, in the order they were recorded, with the operation a line is about. */
  async timelineLines(ids: readonly string[]): Promise<TimelineLineOf[]> {
    if (ids.length === 0) return [];
    const result = await this.pool.query<{ run_id: string; phase: Phase; kind: RunEventKind; cause: string | null; operation: string | null }>(
      `SELECT run_id, phase, kind, cause, detail->>'type' AS operation FROM safeflash.run_events WHERE run_id = ANY($1) ORDER BY id`,
      [ids],
    );
    return result.rows.map((row) => ({ runId: row.run_id, phase: row.phase, kind: row.kind, cause: row.cause, operation: row.operation }));
  }

  async active(deviceId: number): Promise<RunRecord | undefined> {
    const result = await this.pool.query<RunRow>(
      `SELECT ${runColumns} FROM safeflash.runs WHERE device_id = $1 AND state = ANY($2) ORDER BY created_at DESC LIMIT 1`,
      [deviceId, activeRunStates],
    );
    return result.rows[0] ? toRun(result.rows[0]) : undefined;
  }

  async list(filter: RunFilter = {}): Promise<RunRecord[]> {
    const limit = Math.min(Math.max(1, Math.floor(filter.limit ?? 100)), 1000);
    const result = await this.pool.query<RunRow>(
      `SELECT ${runColumns} FROM safeflash.runs
        WHERE ($1::integer IS NULL OR device_id = $1) AND ($2::text IS NULL OR state = $2)
        ORDER BY created_at DESC, number DESC LIMIT $3`,
      [filter.deviceId ?? null, filter.state ?? null, limit],
    );
    return result.rows.map(toRun);
  }

  /** Every event of the run, oldest first. */
  async timeline(runId: string): Promise<RunEvent[]> {
    const result = await this.pool.query<EventRow>(
      `SELECT id, run_id, at, phase, kind, actor, cause, message, detail FROM safeflash.run_events WHERE run_id = $1 ORDER BY at, id`,
      [runId],
    );
    return result.rows.map(toEvent);
  }

  async decisions(runId: string): Promise<DecisionRecord[]> {
    const result = await this.pool.query<DecisionRow>(
      `SELECT id, run_id, at, actor, answer, image_sha256, backup_sha256 FROM safeflash.decisions WHERE run_id = $1 ORDER BY id`,
      [runId],
    );
    return result.rows.map(toDecision);
  }

  /** The first decision on the run after decision `afterId` (0: any). */
  async decisionAfter(runId: string, afterId: number): Promise<DecisionRecord | undefined> {
    const result = await this.pool.query<DecisionRow>(
      `SELECT id, run_id, at, actor, answer, image_sha256, backup_sha256 FROM safeflash.decisions
        WHERE run_id = $1 AND id > $2 ORDER BY id LIMIT 1`,
      [runId, afterId],
    );
    return result.rows[0] ? toDecision(result.rows[0]) : undefined;
  }

  /**
   * Adds an event once per (run, stepKey) and moves the run's phase (and state, when the event says)
   * along with it, in one statement (one round trip, atomic). Returns undefined when the step had
   * already written it, else where the run stands now (when it was still active and moved).
   */
  async recordEvent(runId: string, stepKey: string, event: NewEvent): Promise<RecordedEvent | undefined> {
    const result = await this.pool.query<{ inserted: boolean; device_id: string | null; state: RunState | null; phase: Phase | null }>({
      // Named: each connection plans it once, not at every event.
      name: 'safeflash.recordEvent',
      text: `WITH inserted AS (
         INSERT INTO safeflash.run_events (run_id, phase, kind, actor, cause, message, detail, step_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (run_id, step_key) DO NOTHING RETURNING run_id
       ), moved AS (
         UPDATE safeflash.runs SET phase = $2, state = coalesce($9, state), image_sha256 = coalesce($11, image_sha256), updated_at = now()
          WHERE id = $1 AND state = ANY($10) AND EXISTS (SELECT 1 FROM inserted)
          RETURNING device_id, state, phase
       )
       SELECT EXISTS (SELECT 1 FROM inserted) AS inserted, moved.device_id, moved.state, moved.phase
         FROM (SELECT 1) AS one LEFT JOIN moved ON true`,
      values: [
        runId,
        event.phase,
        event.kind,
        event.actor,
        event.cause ?? null,
        event.message,
        JSON.stringify(event.detail ?? {}),
        stepKey,
        event.state ?? null,
        activeRunStates,
        event.imageSha256 ?? null,
      ],
    });
    const row = result.rows[0];
    if (!row?.inserted) return undefined;
    return row.device_id === null ? {} : { run: { deviceId: Number(row.device_id), state: row.state!, phase: row.phase! } };
  }

  /**
   * Parks the run (state waiting) with an askedOperator event, once per step key, and returns the
   * last decision id before the question: decisions after it answer this question. A replay returns
   * the mark saved with the event, not a fresh one that could already include the answer.
   */
  async recordAsk(
    runId: string,
    stepKey: string,
    event: Omit<NewEvent, 'kind' | 'state'>,
    parkedAs: ParkedState = 'waiting',
    within?: Queryable,
  ): Promise<number> {
    const write = async (db: Queryable): Promise<number> => {
      const asked = await db.query<{ detail: { decisionMark?: number } }>(`SELECT detail FROM safeflash.run_events WHERE run_id = $1 AND step_key = $2`, [
        runId,
        stepKey,
      ]);
      if (asked.rows[0]) return Number(asked.rows[0].detail.decisionMark ?? 0);
      const last = await db.query<{ id: string | null }>(`SELECT max(id) AS id FROM safeflash.decisions WHERE run_id = $1`, [runId]);
      const decisionMark = Number(last.rows[0]?.id ?? 0);
      await db.query(
        `INSERT INTO safeflash.run_events (run_id, phase, kind, actor, cause, message, detail, step_key)
         VALUES ($1, $2, $8, $3, $4, $5, $6, $7)`,
        [
          runId,
          event.phase,
          event.actor,
          event.cause ?? null,
          event.message,
          JSON.stringify({ ...event.detail, decisionMark }),
          stepKey,
          parkedAs === 'staged' ? 'staged' : 'askedOperator',
        ],
      );
      await db.query(`UPDATE safeflash.runs SET phase = $2, state = $4, updated_at = now() WHERE id = $1 AND state = ANY($3)`, [
        runId,
        event.phase,
        activeRunStates,
        parkedAs,
      ]);
      return decisionMark;
    };
    // Inside the caller's transaction when given one, else in a transaction of its own.
    return within ? write(within) : this.transaction(write);
  }

  /** Ends the run with its final report (once: a replay finds it ended). */
  async finish(runId: string, stepKey: string, phase: Phase | null, outcome: RunOutcome, within?: Queryable): Promise<void> {
    const write = async (db: Queryable) => {
      await db.query(
        `INSERT INTO safeflash.run_events (run_id, phase, kind, actor, cause, message, detail, step_key)
         SELECT $1, coalesce($2, phase), 'runEnded', 'manager', $3, $4, $5, $6 FROM safeflash.runs WHERE id = $1
         ON CONFLICT (run_id, step_key) DO NOTHING`,
        [runId, phase, outcome.state, outcome.summary, JSON.stringify(outcome), stepKey],
      );
      await db.query(`UPDATE safeflash.runs SET state = $2, outcome = $3, phase = coalesce($5, phase), updated_at = now() WHERE id = $1 AND state = ANY($4)`, [
        runId,
        outcome.state,
        JSON.stringify(outcome),
        activeRunStates,
        phase,
      ]);
    };
    // Inside the caller's transaction when given one, else in a transaction of its own.
    await (within ? write(within) : this.transaction(write));
  }

  /**
   * Records an operator's decision, if the run is waiting for one: the run leaves `waiting` in the same
   * transaction, so two operators answering at once cannot both be heard. Undefined when not waiting.
   */
  /** Records an operator's answer to a run parked as `parkedAs`; undefined when the run is no longer parked so (another answer came first). */
  async addDecision(
    runId: string,
    decision: { actor: Actor; answer: DecisionAnswer; imageSha256: string | null; backupSha256: string | null },
    parkedAs: ParkedState = 'waiting',
  ): Promise<DecisionRecord | undefined> {
    return this.transaction(async (db) => {
      const claimed = await db.query(`UPDATE safeflash.runs SET state = 'running', updated_at = now() WHERE id = $1 AND state = $2`, [runId, parkedAs]);
      if ((claimed.rowCount ?? 0) === 0) return undefined;
      const result = await db.query<DecisionRow>(
        `INSERT INTO safeflash.decisions (run_id, actor, answer, image_sha256, backup_sha256) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, run_id, at, actor, answer, image_sha256, backup_sha256`,
        [runId, decision.actor, decision.answer, decision.imageSha256, decision.backupSha256],
      );
      return toDecision(result.rows[0]!);
    });
  }

  /**
   * Records an operator's request to cancel an active run, with a cancelRequested event in the phase the
   * run is in. A run waiting for a decision or an activation leaves `waiting` or `staged` in the same transaction, so that no answer
   * can be taken after it. Only the first request counts: a repeated one changes nothing and reports the
   * first (`repeated`). Undefined when the run does not exist or has ended.
   */
  async requestCancel(runId: string, actor: Actor): Promise<{ run: RunRecord; repeated: boolean } | undefined> {
    return this.transaction(async (db) => {
      const claimed = await db.query<RunRow>(
        `UPDATE safeflash.runs SET cancel_requested_by = $2, cancel_requested_at = now(), updated_at = now(),
                state = CASE WHEN state IN ('waiting', 'staged') THEN 'running' ELSE state END
          WHERE id = $1 AND state = ANY($3) AND cancel_requested_by IS NULL
          RETURNING ${runColumns}`,
        [runId, actor, activeRunStates],
      );
      const run = claimed.rows[0];
      if (!run) {
        const current = await db.query<RunRow>(`SELECT ${runColumns} FROM safeflash.runs WHERE id = $1 AND state = ANY($2)`, [runId, activeRunStates]);
        return current.rows[0] ? { run: toRun(current.rows[0]), repeated: true } : undefined;
      }
      await db.query(
        `INSERT INTO safeflash.run_events (run_id, phase, kind, actor, message, detail, step_key)
         VALUES ($1, $2, 'cancelRequested', $3, $4, '{}', 'cancelRequested') ON CONFLICT (run_id, step_key) DO NOTHING`,
        [runId, run.phase, actor, `${actor.slice(actor.indexOf(':') + 1)} asked to cancel the run: it stops at its next safe point`],
      );
      return { run: toRun(run), repeated: false };
    });
  }

  /** Who asked to cancel the run, if anyone did (read by a statement that starts after the call). */
  async cancelRequest(runId: string): Promise<Actor | undefined> {
    return this.#cancelLooks.run(runId);
  }

  async #cancelRequests(runIds: string[]): Promise<Array<Actor | undefined>> {
    const result = await this.pool.query<{ id: string; cancel_requested_by: Actor | null }>(
      'SELECT id, cancel_requested_by FROM safeflash.runs WHERE id = ANY($1::text[]) AND cancel_requested_by IS NOT NULL',
      [[...new Set(runIds)]],
    );
    return inAskedOrder(runIds, result.rows, (row) => row.id).map((row) => row?.cancel_requested_by ?? undefined);
  }

  private transaction<T>(work: (db: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, work);
  }
}
