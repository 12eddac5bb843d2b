// A pool that rides out a PostgreSQL restart. When the server goes away for some seconds (a restart,
// a failover), every query fails with a connection error; the manager's runs must not fail with it.
// A query or transaction that fails that way is tried again, on a new connection, until the server is
// back or `patienceMs` has passed. Safe because every write of the store is idempotent (keys chosen by
// the caller, ON CONFLICT, state transitions guarded by the state they leave), which is also what
// lets a durable step run again after a crash.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

/** How long the store waits for its database to come back before a query fails for good. */
const defaultPatienceMs = 120_000;

/** PostgreSQL's SQLSTATEs for a lost or refused connection: class 08, and the server shutting down or starting. */
const connectionStates = /^(08...|57P01|57P02|57P03)$/;
const connectionCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTCONN']);

/** Whether the error is the connection's, not the statement's: trying again on a new connection may succeed. */
export function isConnectionLoss(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (connectionStates.test(code) || connectionCodes.has(code))) return true;
  return /Connection terminated|connection error and is not queryable|terminating connection|the database system is (starting up|shutting down)/i.test(
    error.message,
  );
}

/** Runs `work` until it succeeds, fails for another reason, or the database stays away `patienceMs`. */
export async function withReconnect<T>(work: () => Promise<T>, patienceMs = defaultPatienceMs): Promise<T> {
  const giveUpAt = Date.now() + patienceMs;
  for (let delayMs = 100; ; delayMs = Math.min(delayMs * 2, 2000)) {
    try {
      return await work();
    } catch (error) {
      if (!isConnectionLoss(error) || Date.now() + delayMs > giveUpAt) throw error;
      await sleep(delayMs);
    }
  }
}

export class ReconnectingPool extends pg.Pool {
  constructor(config?: pg.PoolConfig) {
    super(config);
    // Only the promise forms are used by the store; each goes through withReconnect.
    const query = this.query.bind(this) as (...args: unknown[]) => Promise<unknown>;
    this.query = ((...args: unknown[]) => withReconnect(() => query(...args))) as pg.Pool['query'];
  }
}
