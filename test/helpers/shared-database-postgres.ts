// The PostgreSQL that several `safeflash serve --database-url` managers share in a test: started by the
// test itself (the embedded server, in its own directory), with a database made for the managers, and
// a look at DBOS's own record of who runs which workflow.
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/manager/database/embedded-postgres.ts';

export interface SharedPostgres {
  /** The URL the managers are given with --database-url. */
  url: string;
  /** A small pool on that database, for what only the database shows. */
  pool: pg.Pool;
  stop(): Promise<void>;
}

/** Starts PostgreSQL under `directory` and makes database `name` on it. */
export async function startSharedPostgres(directory: string, name: string): Promise<SharedPostgres> {
  mkdirSync(directory, { recursive: true });
  // As root the server runs as another user, who must be able to enter the directory.
  chmodSync(directory, 0o755);
  const server = await startEmbeddedPostgres({ directory });
  try {
    const admin = new pg.Client(server.url);
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    const url = new URL(server.url);
    url.pathname = `/${name}`;
    const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
    pool.on('error', () => {
      // The test ends the pool itself; an idle client cut off meanwhile is not a failure.
    });
    return {
      url: url.toString(),
      pool,
      stop: async () => {
        await pool.end().catch(() => undefined);
        await server.stop();
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

export interface WorkflowRow {
  executorId: string;
  status: string;
}

/** DBOS's row for workflow `id` (a run's workflow has the run's ID), or undefined before it exists. */
export async function workflowRow(pool: pg.Pool, id: string): Promise<WorkflowRow | undefined> {
  const result = await pool.query<{ executor_id: string; status: string }>('SELECT executor_id, status FROM dbos.workflow_status WHERE workflow_uuid = $1', [
    id,
  ]);
  const row = result.rows[0];
  return row ? { executorId: row.executor_id, status: row.status } : undefined;
}

/** The executor ID `safeflash serve --database-url` keeps in its data directory (src/manager/startup/executor-id.ts). */
export function executorIdFile(dataDir: string): string {
  return join(dataDir, 'executor-id');
}
