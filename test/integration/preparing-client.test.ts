// The store's connections prepare a parameterised statement once and run it by name afterwards, on a
// real PostgreSQL server: the server lists it among the connection's prepared statements, the answers
// stay right for every value, and statements without parameters (DDL, several in one text) run as before.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { PreparingClient } from '../../src/manager/store/preparing-client.ts';
import { startSharedPostgres, type SharedPostgres } from '../helpers/shared-database-postgres.ts';

const dir = mkdtempSync(join(tmpdir(), 'sf-prepared-'));
// As root PostgreSQL runs as another user, who must be able to enter the directory.
chmodSync(dir, 0o755);
let postgres: SharedPostgres;

before(async () => {
  postgres = await startSharedPostgres(join(dir, 'postgres'), 'prepared');
});

after(async () => {
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a parameterised statement is prepared once per connection and answers right for every value', async () => {
  const client = new PreparingClient({ connectionString: postgres.url });
  // The server stops at the end of the file: a connection it cuts then is no failure of this test.
  client.on('error', () => {});
  await client.connect();
  try {
    // Several statements in one text, no parameters: sent as a simple query, as without preparing.
    await client.query('CREATE TABLE marks (id integer PRIMARY KEY, note text NOT NULL); CREATE INDEX marks_note ON marks (note)');
    const insert = 'INSERT INTO marks (id, note) VALUES ($1, $2) RETURNING id';
    for (let id = 1; id <= 5; id++) assert.deepEqual((await client.query(insert, [id, `note ${id}`])).rows, [{ id }]);
    const select = 'SELECT note FROM marks WHERE id = $1';
    for (let id = 5; id >= 1; id--) assert.equal((await client.query<{ note: string }>(select, [id])).rows[0]?.note, `note ${id}`);
    assert.equal((await client.query(select, [99])).rowCount, 0);

    const prepared = await client.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements ORDER BY statement');
    assert.deepEqual(
      prepared.rows.map((row) => row.statement),
      [insert, select],
      'each parameterised text prepared once, under one name, however often it ran',
    );
    // A statement's own error is still its caller's, and the connection goes on.
    await assert.rejects(client.query(insert, [1, 'again']), /duplicate key/);
    assert.equal((await client.query<{ note: string }>(select, [1])).rows[0]?.note, 'note 1');
  } finally {
    await client.end();
  }
});

test('the pool hands out preparing connections, and a callback caller still gets its answer', async () => {
  const pool = new pg.Pool({ connectionString: postgres.url, max: 1, Client: PreparingClient });
  pool.on('error', () => {});
  try {
    const rows = await new Promise<unknown[]>((resolve, reject) =>
      pool.query('SELECT $1::integer + 1 AS n', [41], (error, result) => (error ? reject(error) : resolve(result.rows))),
    );
    assert.deepEqual(rows, [{ n: 42 }]);
    const names = await pool.query<{ name: string }>('SELECT name FROM pg_prepared_statements');
    assert.equal(names.rows.length, 1);
    assert.match(names.rows[0]!.name, /^sf_[0-9a-f]{24}$/);
  } finally {
    await pool.end();
  }
});
