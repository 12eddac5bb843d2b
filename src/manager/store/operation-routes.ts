// Which run ordered which operation on which device: written before the order goes out, so that the
// operation's notifications, which name only the device's address and the row index, find their run.
// What the notifications said is kept on the route (the operation's end, the boots heard), where the
// run's wait reads it; each write wakes the waits of every manager (NOTIFY on operationChannel).
import type pg from 'pg';
import type { FailCause, OperationState, OperationType } from '../../protocol/vocabulary.ts';
import type { Queryable } from './backups.ts';
import type { Actor, Phase } from './records.ts';
import { activeRunStates } from './runs.ts';

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

export class OperationRoutes {
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
    const result = await this.pool.query<{ run_id: string; device_id: number }>(
      `SELECT r.run_id, r.device_id FROM safeflash.operation_routes r JOIN safeflash.devices d ON d.id = r.device_id
        WHERE d.address = $1::inet AND r.op_index = $2 LIMIT 1`,
      [address, index],
    );
    const row = result.rows[0];
    return row ? { runId: row.run_id, deviceId: row.device_id, index } : undefined;
  }

  /** Keeps the operation's end (the first one told: an inform sent again changes nothing) and wakes its run's wait. */
  /** Returns what the route holds after it (undefined when there is no such route). */
  async recordEnd(route: Route, end: OperationEnd): Promise<OperationSignal | undefined> {
    const result = await this.pool.query<{ ended: OperationEnd | null; boots: number }>(
      `UPDATE safeflash.operation_routes SET ended = coalesce(ended, $3)
        WHERE device_id = $1 AND op_index = $2 RETURNING ended, boots, pg_notify('${operationChannel}', run_id || '/' || op_index)`,
      [route.deviceId, route.index, JSON.stringify(end)],
    );
    return signalOf(result.rows[0]);
  }

  /**
   * recordEnd for the operation `index` of the device at `address`, found in the same statement (as
   * find() finds it): the route and what it holds after, or undefined when there is no such route.
   */
  async recordEndAt(address: string, index: number, end: OperationEnd): Promise<{ route: Route; signal: OperationSignal } | undefined> {
    const result = await this.pool.query<{ run_id: string; device_id: number; ended: OperationEnd | null; boots: number }>(
      `WITH route AS (
         SELECT r.device_id, r.op_index FROM safeflash.operation_routes r JOIN safeflash.devices d ON d.id = r.device_id
          WHERE d.address = $1::inet AND r.op_index = $2 LIMIT 1
       )
       UPDATE safeflash.operation_routes o SET ended = coalesce(o.ended, $3)
         FROM route WHERE o.device_id = route.device_id AND o.op_index = route.op_index
       RETURNING o.run_id, o.device_id, o.ended, o.boots, pg_notify('${operationChannel}', o.run_id || '/' || o.op_index)`,
      [address, index, JSON.stringify(end)],
    );
    const row = result.rows[0];
    return row ? { route: { runId: row.run_id, deviceId: row.device_id, index }, signal: signalOf(row)! } : undefined;
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

  /** What the operation's notifications said so far; nothing said when there is no such route. */
  async signal(deviceId: number, index: number, db: Queryable = this.pool): Promise<OperationSignal> {
    const result = await db.query<{ ended: OperationEnd | null; boots: number }>(
      'SELECT ended, boots FROM safeflash.operation_routes WHERE device_id = $1 AND op_index = $2',
      [deviceId, index],
    );
    const row = result.rows[0];
    return { ended: row?.ended ?? null, boots: row?.boots ?? 0 };
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
