// The managers table: who shares this database, whether each is alive (by its heartbeat, on the
// database's clock), and who took over a silent one. A takeover is done under a transaction-level
// advisory lock, so that of all the managers sweeping at once exactly one takes over a given manager
// and has its work recovered.
import type pg from 'pg';
import type { Endpoint } from '../../protocol/endpoint.ts';
import { inTransaction } from './transaction.ts';

export type ManagerState = 'up' | 'stopped' | 'dead';

/** Where a manager is reached: by operators (http, when it has an API) and by devices. */
export interface ManagerEndpoints {
  http?: Endpoint;
  notifications: Endpoint;
  tftp: Endpoint;
  ftp: Endpoint;
}

export interface ManagerRecord {
  executorId: string;
  host: string;
  pid: number;
  endpoints: ManagerEndpoints;
  state: ManagerState;
  startedAt: Date;
  lastHeartbeatAt: Date;
  /** Seconds since the last heartbeat, on the database's clock. */
  silentSeconds: number;
  /** Who took over its work, when it died (state dead) or stopped and did not come back in time. */
  takenOverBy: string | null;
  takenOverAt: Date | null;
  /** Workflows recovered when it was taken over. */
  workflowsTaken: number | null;
  /** Runs whose workflow this manager executes now. */
  runsHeld: number;
  /** Campaigns whose workflow this manager executes now. */
  campaignsHeld: number;
}

interface ManagerRow {
  executor_id: string;
  host: string;
  pid: number;
  endpoints: ManagerEndpoints;
  state: ManagerState;
  started_at: Date;
  heartbeat_at: Date;
  silent_seconds: number;
  taken_over_by: string | null;
  taken_over_at: Date | null;
  workflows_taken: number | null;
  runs_held: string;
  campaigns_held: string;
}

/** The advisory lock whose holder may declare managers dead (two words: the project, the job). */
const sweepLock = [0x5afe, 1] as const;

/** Workflow names (DBOS's record of them) that are runs, and the one that is a campaign. */
export interface WorkflowNames {
  runs: readonly string[];
  campaigns: readonly string[];
}

export class ManagerStore {
  constructor(private readonly pool: pg.Pool) {}

  /** The manager is up (again): a restart on the same executor ID starts a fresh life. */
  async register(manager: { executorId: string; host: string; pid: number; endpoints: ManagerEndpoints }): Promise<void> {
    await this.pool.query(
      `INSERT INTO safeflash.managers (executor_id, host, pid, endpoints, state) VALUES ($1, $2, $3, $4, 'up')
       ON CONFLICT (executor_id) DO UPDATE SET host = $2, pid = $3, endpoints = $4, state = 'up', started_at = now(), heartbeat_at = now(),
         taken_over_by = NULL, taken_over_at = NULL, workflows_taken = NULL`,
      [manager.executorId, manager.host, manager.pid, JSON.stringify(manager.endpoints)],
    );
  }

  /** Adds where operators reach the manager (its HTTP API, once it listens). */
  async announce(executorId: string, http: Endpoint): Promise<void> {
    await this.pool.query(`UPDATE safeflash.managers SET endpoints = endpoints || jsonb_build_object('http', $2::jsonb) WHERE executor_id = $1`, [
      executorId,
      JSON.stringify(http),
    ]);
  }

  /** Records a heartbeat; false when the manager is no longer up (another declared it dead and took its work). */
  async heartbeat(executorId: string): Promise<boolean> {
    const result = await this.pool.query(`UPDATE safeflash.managers SET heartbeat_at = now() WHERE executor_id = $1 AND state = 'up'`, [executorId]);
    return result.rowCount === 1;
  }

  /** A clean stop: its work is left for its restart (or for whoever recovers it). */
  async stopped(executorId: string): Promise<void> {
    await this.pool.query(`UPDATE safeflash.managers SET state = 'stopped' WHERE executor_id = $1 AND state = 'up'`, [executorId]);
  }

  /**
   * If no other manager is sweeping right now: takes over every other manager silent for
   * `deadAfterSeconds`, whether up (it is declared dead) or stopped and not back (it stays stopped),
   * running `recover` on each inside the same transaction, so that a crash in between leaves it to be
   * taken over again. Undefined when another manager holds the sweep.
   */
  async takeOverSilent(by: string, deadAfterSeconds: number, recover: (executorId: string) => Promise<number>): Promise<string[] | undefined> {
    return inTransaction(this.pool, async (db) => {
      const lock = await db.query<{ held: boolean }>('SELECT pg_try_advisory_xact_lock($1, $2) AS held', [...sweepLock]);
      if (!lock.rows[0]?.held) return undefined;
      const silent = await db.query<{ executor_id: string }>(
        `SELECT executor_id FROM safeflash.managers
         WHERE (state = 'up' OR (state = 'stopped' AND taken_over_at IS NULL)) AND executor_id <> $1
           AND heartbeat_at < now() - make_interval(secs => $2)
         ORDER BY executor_id`,
        [by, deadAfterSeconds],
      );
      const taken: string[] = [];
      for (const { executor_id: executorId } of silent.rows) {
        const workflows = await recover(executorId);
        await db.query(
          `UPDATE safeflash.managers SET state = CASE WHEN state = 'up' THEN 'dead' ELSE state END,
             taken_over_by = $2, taken_over_at = now(), workflows_taken = $3 WHERE executor_id = $1`,
          [executorId, by, workflows],
        );
        taken.push(executorId);
      }
      return taken;
    });
  }

  /** Every manager that ever registered, with the runs and campaigns it executes now; newest start first. */
  async list(workflows: WorkflowNames): Promise<ManagerRecord[]> {
    const result = await this.pool.query<ManagerRow>(
      `SELECT m.*, extract(epoch FROM now() - m.heartbeat_at)::float8 AS silent_seconds,
         (SELECT count(*) FROM dbos.workflow_status w WHERE w.executor_id = m.executor_id AND w.status = 'PENDING' AND w.name = ANY($1)) AS runs_held,
         (SELECT count(*) FROM dbos.workflow_status w WHERE w.executor_id = m.executor_id AND w.status = 'PENDING' AND w.name = ANY($2)) AS campaigns_held
       FROM safeflash.managers m ORDER BY m.started_at DESC, m.executor_id`,
      [workflows.runs, workflows.campaigns],
    );
    return result.rows.map((row) => ({
      executorId: row.executor_id,
      host: row.host,
      pid: row.pid,
      endpoints: row.endpoints,
      state: row.state,
      startedAt: row.started_at,
      lastHeartbeatAt: row.heartbeat_at,
      silentSeconds: Math.max(0, row.silent_seconds),
      takenOverBy: row.taken_over_by,
      takenOverAt: row.taken_over_at,
      workflowsTaken: row.workflows_taken,
      runsHeld: Number(row.runs_held),
      campaignsHeld: Number(row.campaigns_held),
    }));
  }
}
