// The store's pool against a real PostgreSQL server that restarts: queries and transactions started
// while the server is down wait for it and succeed once it is back, each applied once; an error of
// the statement itself is not tried again.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isConnectionLoss, ReconnectingPool } from '../../src/manager/store/reconnecting-pool.ts';
import { inTransaction } from '../../src/manager/store/transaction.ts';
import { startSharedPostgres, type SharedPostgres } from '../helpers/shared-database-postgres.ts';

const dir = mkdtempSync(join(tmpdir(), 'sf-reconnect-'));
// As root PostgreSQL runs as another user, who must be able to enter the directory.
chmodSync(dir, 0o755);
let postgres: SharedPostgres;
let pool: ReconnectingPool;

before(async () => {
  postgres = await startSharedPostgres(join(dir, 'postgres'), 'reconnect');
  pool = new ReconnectingPool({ connectionString: postgres.url, max: 4 });
  pool.on('error', () => {});
  await pool.query('CREATE TABLE marks (id integer PRIMARY KEY, note text NOT NULL)');
});

after(async () => {
  await pool?.end();
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a query and a transaction issued while the server restarts succeed once it is back, each applied once', { timeout: 60_000 }, async () => {
  await pool.query('SELECT 1'); // a pooled connection that the restart will cut
  const restart = postgres.restart(1500);
  // Issued while the server shuts down and stays down.
  const inserted = pool.query(`INSERT INTO marks (id, note) VALUES (1, 'query') ON CONFLICT (id) DO NOTHING RETURNING id`);
  const transaction = inTransaction(pool, async (db) => {
    await db.query(`INSERT INTO marks (id, note) VALUES (2, 'transaction')`);
    return (await db.query<{ n: string }>('SELECT count(*) AS n FROM marks')).rows[0]!.n;
  });
  await restart;
  await inserted;
  await transaction;
  const rows = await pool.query<{ id: number; note: string }>('SELECT id, note FROM marks ORDER BY id');
  assert.deepEqual(rows.rows, [
    { id: 1, note: 'query' },
    { id: 2, note: 'transaction' },
  ]);
});

test('an error of the statement itself fails at once, and a failed transaction leaves nothing', async () => {
  await assert.rejects(pool.query('SELECT * FROM no_such_table'), (error: Error) => !isConnectionLoss(error) && /no_such_table/.test(error.message));
  await assert.rejects(
    inTransaction(pool, async (db) => {
      await db.query(`INSERT INTO marks (id, note) VALUES (3, 'rolled back')`);
      await db.query(`INSERT INTO marks (id, note) VALUES (1, 'duplicate')`);
    }),
    /duplicate key/,
  );
  assert.equal((await pool.query('SELECT 1 FROM marks WHERE id = 3')).rowCount, 0);
});

test('what counts as a lost connection', () => {
  const withCode = (code: string) => Object.assign(new Error('x'), { code });
  for (const lost of [withCode('57P01'), withCode('08006'), withCode('ECONNREFUSED'), new Error('Connection terminated unexpectedly')]) {
    assert.equal(isConnectionLoss(lost), true, lost.message);
  }
  for (const statement of [withCode('23505'), withCode('42P01'), new Error('syntax error at or near "SELEC"'), 'not an error']) {
    assert.equal(isConnectionLoss(statement), false, String(statement));
  }
});
