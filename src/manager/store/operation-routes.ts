// Which run ordered which operation on which device: written before the order goes out, so that the
// operation's notifications, which name only the device's address and the row index, find their run.
// What the notifications said is kept on the route (the operation's end, the boots heard), where the
// run's wait reads it; each write wakes the waits of every manager (NOTIFY on operationChannel).
import type pg from 'pg';
import type { FailCause, OperationState, OperationType } from '../../protocol/vocabulary.ts';
import type { Queryable } from './backups.ts';
import type { Actor, Phase } from './records.ts';
import { activeRunStates } from './runs.ts';
import { Batched } from './batched.ts';

export interface Route {
  runId: string;
  deviceId: number;
  index: number;
}

/** An operation's end, as its completion notification told it. */
export interface OperationEnd {
  state: OperationState;
  failCause: FailCause;
  failMessage: string;
}

/** What the notifications of one operation said so far. */
export interface OperationSignal {
  ended: OperationEnd | null;
  /** Boot notifications heard since the operation was ordered (the device came back: read its row now). */
  boots: number;
}

/** The PostgreSQL channel on which a route's new signal is announced, with the payload `run/index`. */
export const operationChannel = 'safeflash_operation';

/** Operations that end in a boot, whose bootCompleted notification belongs to them. */
const bootingOperations: OperationType[] = ['reboot', 'revertSoftware', 'downloadSoftware', 'activateSoftware'];

type SignalRow = { ended: OperationEnd | null; boots: number };

export class OperationRoutes {
  /** Notifications of many devices heard together are looked up, and their ends recorded, together: one statement each. */
  readonly #finds = new Batched<{ address: string; index: number }, Route | undefined>((wanted) => this.#find(wanted));
  readonly #ends = new Batched<{ route: Route; end: OperationEnd }, OperationSignal | undefined>((ends) => this.#recordEnds(ends));
  /** The waits' looks at their routes, made together when many look at once (woken by notifications heard together). */
  readonly #looks = new Batched<{ deviceId: number; index: number }, OperationSignal>((looks) => this.#signals(looks));

  constructor(private readonly pool: pg.Pool) {}

  /**
   * Records an order about to go out, in one statement: unless `heedCancel` and the run has a cancel
   * request (then nothing is written and the request's actor is returned), the operation's route and
   * the run's operationStarted event (once per step key, moving the run's phase as every event does).
   */
  async recordOrder(
    order: {
      route: { deviceId: number; index: number; runId: string; phase: Phase; type: OperationType };
      heedCancel: boolean;
      stepKey: string;
      message: string;
      detail: Record<string, unknown>;
    },
    db: Queryable = this.pool,
  ): Promise<Actor | undefined> {
    const { route } = order;
    const result = await db.query<{ cancelled_by: Actor | null }>({
      // Named: each connection plans it once, not at every order.
      name: 'safeflash.recordOrder',
      text: `WITH cancel AS (
         SELECT cancel_requested_by AS by FROM safeflash.runs WHERE id = $3 AND $6::boolean AND cancel_requested_by IS NOT NULL
       ), route AS (
         INSERT INTO safeflash.operation_routes (device_id, op_index, run_id, phase, type)
         SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM cancel)
         ON CONFLICT (device_id, op_index) DO NOTHING
       ), inserted AS (
         INSERT INTO safeflash.run_events (run_id, phase, kind, actor, message, detail, step_key)
         SELECT $3, $4, 'operationStarted', 'manager', $7, $8, $9 WHERE NOT EXISTS (SELECT 1 FROM cancel)
         ON CONFLICT (run_id, step_key) DO NOTHING RETURNING run_id
       ), moved AS (
         UPDATE safeflash.runs SET phase = $4, updated_at = now()
          WHERE id = $3 AND state = ANY($10) AND EXISTS (SELECT 1 FROM inserted)
       )
       SELECT (SELECT by FROM cancel) AS cancelled_by`,
      values: [
        route.deviceId,
        route.index,
        route.runId,
        route.phase,
        route.type,
        order.heedCancel,
        order.message,
        JSON.stringify(order.detail),
        order.stepKey,
        activeRunStates,
      ],
    });
    return result.rows[0]?.cancelled_by ?? undefined;
  }

  /** The run that ordered operation `index` on a device at `address`. */
  async find(address: string, index: number): Promise<Route | undefined> {
    return this.#finds.run({ address, index });
  }

  async #find(wanted: Array<{ address: string; index: number }>): Promise<Array<Route | undefined>> {
    const result = await this.pool.query<{ n: number; run_id: string; device_id: number }>(
      `SELECT w.n, found.run_id, found.device_id
         FROM json_to_recordset($1::json) AS w(n integer, address text, op_index bigint)
         CROSS JOIN LATERAL (
           SELECT r.run_id, r.device_id FROM safeflash.operation_routes r JOIN safeflash.devices d ON d.id = r.device_id
            WHERE d.address = w.address::inet AND r.op_index = w.op_index LIMIT 1
         ) AS found`,
      [JSON.stringify(wanted.map(({ address, index }, n) => ({ n, address, op_index: index })))],
    );
    const byN = new Map(result.rows.map((row) => [Number(row.n), row]));
    return wanted.map(({ index }, n) => {
      const row = byN.get(n);
      return row ? { runId: row.run_id, deviceId: row.device_id, index } : undefined;
    });
  }

  /** Keeps the operation's end (the first one told: an inform sent again changes nothing) and wakes its run's wait. */
  /** Returns what the route holds after it (undefined when there is no such route, or the same end was recorded with it). */
  async recordEnd(route: Route, end: OperationEnd): Promise<OperationSignal | undefined> {
    return this.#ends.run({ route, end });
  }

  /** recordEnd for several routes in one statement; of one route's ends told together, the first counts. */
  async #recordEnds(ends: Array<{ route: Route; end: OperationEnd }>): Promise<Array<OperationSignal | undefined>> {
    const result = await this.pool.query<SignalRow & { n: number }>(
      `WITH told AS (
         SELECT DISTINCT ON (device_id, op_index) * FROM json_to_recordset($1::json) AS t(n integer, device_id integer, op_index bigint, ended jsonb)
          ORDER BY device_id, op_index, n
       )
       UPDATE safeflash.operation_routes o SET ended = coalesce(o.ended, t.ended)
         FROM told t WHERE o.device_id = t.device_id AND o.op_index = t.op_index
       RETURNING t.n, o.ended, o.boots, pg_notify('${operationChannel}', o.run_id || '/' || o.op_index)`,
      [JSON.stringify(ends.map(({ route, end }, n) => ({ n, device_id: route.deviceId, op_index: route.index, ended: end })))],
    );
    const byN = new Map(result.rows.map((row) => [Number(row.n), signalOf(row)]));
    return ends.map((_end, n) => byN.get(n));
  }

  /** Counts a boot heard for the operation and wakes its run's wait; returns what the route holds after it. */
  async recordBoot(route: Route): Promise<OperationSignal | undefined> {
    const result = await this.pool.query<{ ended: OperationEnd | null; boots: number }>(
      `UPDATE safeflash.operation_routes SET boots = boots + 1
        WHERE device_id = $1 AND op_index = $2 RETURNING ended, boots, pg_notify('${operationChannel}', run_id || '/' || op_index)`,
      [route.deviceId, route.index],
    );
    return signalOf(result.rows[0]);
  }

  /**
   * What the operation's notifications said so far; nothing said when there is no such route. Read by
   * a statement that starts after the call: in `db` when given, else with the looks of other waits.
   */
  async signal(deviceId: number, index: number, db?: Queryable): Promise<OperationSignal> {
    if (db === undefined) return this.#looks.run({ deviceId, index });
    const result = await db.query<{ ended: OperationEnd | null; boots: number }>(
      'SELECT ended, boots FROM safeflash.operation_routes WHERE device_id = $1 AND op_index = $2',
      [deviceId, index],
    );
    const row = result.rows[0];
    return { ended: row?.ended ?? null, boots: row?.boots ?? 0 };
  }

  async #signals(looks: Array<{ deviceId: number; index: number }>): Promise<OperationSignal[]> {
    const result = await this.pool.query<{ device_id: number; op_index: string; ended: OperationEnd | null; boots: number }>(
      `SELECT device_id, op_index, ended, boots FROM safeflash.operation_routes
        WHERE (device_id, op_index) IN (SELECT * FROM unnest($1::integer[], $2::bigint[]))`,
      [looks.map((look) => look.deviceId), looks.map((look) => look.index)],
    );
    const byRoute = new Map(result.rows.map((row) => [`${row.device_id}/${row.op_index}`, row]));
    return looks.map(({ deviceId, index }) => {
      const row = byRoute.get(`${deviceId}/${index}`);
      return { ended: row?.ended ?? null, boots: row?.boots ?? 0 };
    });
  }

  /** The latest operation of an active run on a device at `address`. */
  async latest(address: string): Promise<Route | undefined> {
    return this.#latestOf(address, null);
  }

  /** The latest booting operation of an active run on a device at `address`: where a boot notification goes. */
  async lastBooting(address: string): Promise<Route | undefined> {
    return this.#latestOf(address, bootingOperations);
  }

  /** `types` null: operations of any type. */
  async #latestOf(address: string, types: OperationType[] | null): Promise<Route | undefined> {
    const result = await this.pool.query<{ run_id: string; device_id: number; op_index: string }>(
      `SELECT r.run_id, r.device_id, r.op_index FROM safeflash.operation_routes r
         JOIN safeflash.devices d ON d.id = r.device_id
         JOIN safeflash.runs u ON u.id = r.run_id
        WHERE d.address = $1::inet AND ($2::text[] IS NULL OR r.type = ANY($2)) AND u.state IN ('running', 'waiting')
        ORDER BY r.started_at DESC, r.op_index DESC LIMIT 1`,
      [address, types],
    );
    const row = result.rows[0];
    return row ? { runId: row.run_id, deviceId: row.device_id, index: Number(row.op_index) } : undefined;
  }
}

const signalOf = (row: { ended: OperationEnd | null; boots: number } | undefined): OperationSignal | undefined =>
  row ? { ended: row.ended ?? null, boots: Number(row.boots) } : undefined;
