// One database transaction around `work`: committed when it returns, rolled back when it throws. A
// transaction cut by a lost connection is tried again whole, on a new connection (see
// reconnecting-pool.ts), so `work` must only do what can be done again.
import type pg from 'pg';
import { withReconnect } from './reconnecting-pool.ts';

export async function inTransaction<T>(pool: pg.Pool, work: (db: pg.PoolClient) => Promise<T>): Promise<T> {
  return withReconnect(async () => {
    const client = await pool.connect();
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollback: Error) => {
        broken ??= rollback;
      });
      throw error;
    } finally {
      // A client whose connection broke is thrown away, not given back to the pool.
      client.off('error', onError);
      client.release(broken);
    }
  });
}
