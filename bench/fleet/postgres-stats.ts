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
      await client.connect();
      return new PostgresStats(client);
    } catch (error) {
      onMissing((error as Error).message);
      return undefined;
    }
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

  close(): Promise<void> {
    return this.client.end();
  }
}
