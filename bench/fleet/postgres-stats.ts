// The manager's own PostgreSQL, as its statistics see the run: transactions committed, rows written
// and WAL generated. Reached the way the manager reaches it (the port in postmaster.pid, the password
// file the manager keeps beside the cluster); only read, never written.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

export interface PostgresCounters {
  commits: number;
  rowsWritten: number;
  walBytes: number;
}

export class PostgresStats {
  private constructor(private readonly client: pg.Client) {}

  /** Undefined (with the reason given to `onMissing`) when the embedded database cannot be reached. */
  static async connect(postgresDir: string, onMissing: (reason: string) => void): Promise<PostgresStats | undefined> {
    try {
      const port = Number(readFileSync(join(postgresDir, 'cluster', 'postmaster.pid'), 'utf8').split('\n')[3]);
      const password = readFileSync(join(postgresDir, 'safeflash-password'), 'utf8').trim();
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'safeflash', password, database: 'safeflash' });
      // The manager's PostgreSQL stops before this client when the bench cleans up: not a crash.
      client.on('error', () => {});
      await client.connect();
      return new PostgresStats(client);
    } catch (error) {
      onMissing((error as Error).message);
      return undefined;
    }
  }

  /** The shared database several managers use (--managers N), by its URL. */
  static async connectUrl(url: string, onMissing: (reason: string) => void): Promise<PostgresStats | undefined> {
    try {
      const client = new pg.Client({ connectionString: url });
      // The manager's PostgreSQL stops before this client when the bench cleans up: not a crash.
      client.on('error', () => {});
      await client.connect();
      return new PostgresStats(client);
    } catch (error) {
      onMissing((error as Error).message);
      return undefined;
    }
  }

  /** The `n` of a query that counts something (bench-only reads of the manager's tables). */
  async count(sql: string): Promise<number> {
    const { rows } = await this.client.query<{ n: string }>(sql);
    return Number(rows[0]?.n ?? 0);
  }

  async read(): Promise<PostgresCounters> {
    // Statistics are flushed by backends at most once a second: a fresh snapshot, not a cached one.
    await this.client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await this.client.query<{ commits: string; written: string; wal: string }>(
      `SELECT xact_commit AS commits, tup_inserted + tup_updated + tup_deleted AS written,
              pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') AS wal
         FROM pg_stat_database WHERE datname = current_database()`,
    );
    const row = rows[0]!;
    return { commits: Number(row.commits), rowsWritten: Number(row.written), walBytes: Number(row.wal) };
  }

  /**
   * Starts counting statements with pg_stat_statements; false when PostgreSQL was not started with it
   * in shared_preload_libraries (the manager does not load it: this is for diagnosis only).
   */
  async countStatements(): Promise<boolean> {
    try {
      await this.client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await this.client.query('SELECT pg_stat_statements_reset()');
      return true;
    } catch {
      return false;
    }
  }

  /** The statements run most often since countStatements(), with their calls and execution time. */
  async topStatements(count: number): Promise<Array<{ calls: number; ms: number; query: string }>> {
    const { rows } = await this.client.query<{ calls: string; ms: string; query: string }>(
      `SELECT calls, total_exec_time AS ms, regexp_replace(query, '[[:space:]]+', ' ', 'g') AS query
         FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
        ORDER BY calls DESC LIMIT $1`,
      [count],
    );
    return rows.map((r) => ({ calls: Number(r.calls), ms: Number(r.ms), query: r.query }));
  }

  /** Durable steps recorded, by name: the runs' own (safeflash.run_steps), the campaigns' (safeflash.campaign_steps) and DBOS's (its timers, messages, patches). */
  async stepsByName(): Promise<Array<{ name: string; count: number }>> {
    const { rows } = await this.client.query<{ name: string; count: string }>(
      `SELECT name, count(*) AS count FROM (
         SELECT name FROM safeflash.run_steps UNION ALL SELECT name FROM safeflash.campaign_steps
         UNION ALL SELECT function_name FROM dbos.operation_outputs
       ) recorded GROUP BY 1 ORDER BY 2 DESC`,
    );
    return rows.map((r) => ({ name: r.name, count: Number(r.count) }));
  }

  /** When each run whose ID starts with `idPrefix` was created and last changed (its end, once final), and its state. */
  async runSpans(idPrefix: string): Promise<Array<{ created: number; updated: number; state: string }>> {
    const { rows } = await this.client.query<{ created: Date; updated: Date; state: string }>(
      `SELECT created_at AS created, updated_at AS updated, state FROM safeflash.runs WHERE starts_with(id, $1)`,
      [idPrefix],
    );
    return rows.map((r) => ({ created: r.created.getTime(), updated: r.updated.getTime(), state: r.state }));
  }

  close(): Promise<void> {
    return this.client.end();
  }
}
