// The manager's connection to PostgreSQL: its own (embedded, under the data directory) unless a URL
// names a shared one, which several managers can use at once. Same code path either way.
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../database/embedded-postgres.ts';
import { PreparingClient } from './preparing-client.ts';
import { ReconnectingPool } from './reconnecting-pool.ts';
import { schemaStatements } from './schema.ts';

export interface Database {
  /** URL of the database that holds the manager's tables and the durable workflows. */
  url: string;
  pool: pg.Pool;
  /**
   * What operators ask (pages, metrics, tokens, starting runs, decisions, cancels) goes through
   * connections of its own: it never waits behind a burst of runs' steps queued for the store's pool
   * (a wave of 200 runs starting).
   */
  operatorPool: pg.Pool;
  /** DBOS's connections, for its workflows' state (handed to it as its system database pool). */
  workflowPool: pg.Pool;
  /**
   * The heartbeat's own connection (membership/membership.ts). A heartbeat that queues behind the
   * store's backlog (hundreds of runs' steps retried at once after the database came back) comes late,
   * and a manager that is busy, not silent, was declared dead by the others and stopped.
   */
  membershipPool: pg.Pool;
  /**
   * The campaigns' own loop (its looks, the runs it makes, what it saves): a freed slot waits for the
   * campaign's next turn, and a turn whose statements queued behind the runs' in the store's pool took
   * twice as long.
   */
  campaignPool: pg.Pool;
  close(): Promise<void>;
}

export const databaseName = 'safeflash';

/**
 * Connections per manager: the store's, the operators' reads, DBOS's, the heartbeat's and the campaigns', 24 together,
 * so that three managers and PostgreSQL's own stay well under its default limit of 100 connections.
 */
export const storePoolSize = 15;
export const operatorPoolSize = 2;
export const workflowPoolSize = 5;
const membershipPoolSize = 1;
export const campaignPoolSize = 1;
/** How long a workflow connection may sit in an open transaction before PostgreSQL ends it: DBOS's own default. */
const idleTransactionTimeoutMs = 60_000;

export interface DatabaseOptions {
  dataDir: string;
  databaseUrl?: string;
  /** TCP port of the embedded PostgreSQL on 127.0.0.1; a free one when absent. Unused with databaseUrl. */
  databasePort?: number;
  onLog?: (line: string) => void;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const embedded = options.databaseUrl
    ? undefined
    : await startEmbeddedPostgres({
        directory: join(options.dataDir, 'postgres'),
        ...(options.databasePort ? { port: options.databasePort } : {}),
        ...(options.onLog ? { onLog: options.onLog } : {}),
      });
  try {
    const serverUrl = options.databaseUrl ?? embedded!.url;
    const url = options.databaseUrl ?? (await ensureDatabase(serverUrl, databaseName));
    // The runs' steps and timelines go through this pool (procedure/run-journal.ts), DBOS's own pool
    // keeps the workflows' state: this one carries most of the work, and the API's reads share it.
    const pool = new ReconnectingPool({ connectionString: url, max: storePoolSize, Client: PreparingClient });
    const operatorPool = new ReconnectingPool({ connectionString: url, max: operatorPoolSize, Client: PreparingClient });
    // DBOS rides out a lost connection itself: a plain pool. On a pool of its own DBOS sets PostgreSQL's
    // idle-in-transaction timeout by a query on each new connection, sent while pg hands the connection
    // to its first user, which pg 8 warns of and pg 9 will refuse; here the connection sets it as it opens.
    const workflowPool = new pg.Pool({
      connectionString: url,
      max: workflowPoolSize,
      application_name: 'safeflash-workflows',
      options: `-c idle_in_transaction_session_timeout=${idleTransactionTimeoutMs}`,
    });
    const membershipPool = new ReconnectingPool({ connectionString: url, max: membershipPoolSize, application_name: 'safeflash-membership' });
    const campaignPool = new ReconnectingPool({
      connectionString: url,
      max: campaignPoolSize,
      Client: PreparingClient,
      application_name: 'safeflash-campaigns',
    });
    for (const each of [pool, operatorPool, workflowPool, membershipPool, campaignPool]) {
      each.on('error', () => {
        // An idle client lost its connection; the next query opens a new one.
      });
    }
    await applySchema(pool);
    return {
      url,
      pool,
      operatorPool,
      workflowPool,
      membershipPool,
      campaignPool,
      close: async () => {
        await campaignPool.end();
        await membershipPool.end();
        await workflowPool.end();
        await operatorPool.end();
        await pool.end();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}

/** The URL of database `name` on the server, created if it does not exist yet. */
async function ensureDatabase(serverUrl: string, name: string): Promise<string> {
  const client = new pg.Client(serverUrl);
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function applySchema(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    // Two managers starting on one shared database must not race through the DDL.
    await client.query('SELECT pg_advisory_lock(hashtext($1))', ['safeflash schema']);
    for (const statement of schemaStatements) await client.query(statement);
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', ['safeflash schema']).catch(() => {});
    client.release();
  }
}
