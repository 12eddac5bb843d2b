// Which run ordered which operation on which device: written before the order goes out, so that the
// operation's notifications, which name only the device's address and the row index, find their run.
import type pg from 'pg';
import type { OperationType } from '../../protocol/vocabulary.ts';
import type { Phase } from './records.ts';

export interface Route {
  runId: string;
  index: number;
}

/** Operations that end in a boot, whose bootCompleted notification belongs to them. */
const bootingOperations: OperationType[] = ['reboot', 'revertSoftware', 'downloadSoftware', 'activateSoftware'];

export class OperationRoutes {
  constructor(private readonly pool: pg.Pool) {}

  async record(route: { deviceId: number; index: number; runId: string; phase: Phase; type: OperationType }): Promise<void> {
    await this.pool.query(
      `INSERT INTO safeflash.operation_routes (device_id, op_index, run_id, phase, type) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (device_id, op_index) DO NOTHING`,
      [route.deviceId, route.index, route.runId, route.phase, route.type],
    );
  }

  /** The run that ordered operation `index` on a device at `address`. */
  async find(address: string, index: number): Promise<Route | undefined> {
    const result = await this.pool.query<{ run_id: string }>(
      `SELECT r.run_id FROM safeflash.operation_routes r JOIN safeflash.devices d ON d.id = r.device_id
        WHERE d.address = $1::inet AND r.op_index = $2 LIMIT 1`,
      [address, index],
    );
    return result.rows[0] ? { runId: result.rows[0].run_id, index } : undefined;
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
    const result = await this.pool.query<{ run_id: string; op_index: string }>(
      `SELECT r.run_id, r.op_index FROM safeflash.operation_routes r
         JOIN safeflash.devices d ON d.id = r.device_id
         JOIN safeflash.runs u ON u.id = r.run_id
        WHERE d.address = $1::inet AND ($2::text[] IS NULL OR r.type = ANY($2)) AND u.state IN ('running', 'waiting')
        ORDER BY r.started_at DESC, r.op_index DESC LIMIT 1`,
      [address, types],
    );
    const row = result.rows[0];
    return row ? { runId: row.run_id, index: Number(row.op_index) } : undefined;
  }
}
