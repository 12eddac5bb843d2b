// API tokens on a real PostgreSQL server, as two managers sharing it see them: a valid token is read
// once and then trusted for a while without asking the database; the manager that revokes a token
// refuses it at once, another manager once its trust lapses; a wrong secret is refused whatever is trusted.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { schemaStatements } from '../../src/manager/store/schema.ts';
import { TokenStore } from '../../src/manager/store/tokens.ts';
import { startSharedPostgres, type SharedPostgres } from '../helpers/shared-database-postgres.ts';

const dir = mkdtempSync(join(tmpdir(), 'sf-tokens-'));
// As root PostgreSQL runs as another user, who must be able to enter the directory.
chmodSync(dir, 0o755);
let postgres: SharedPostgres;
const pools: pg.Pool[] = [];
const trustMs = 300;

/** A manager's pool on the shared database, counting the statements it is asked to run. */
function managerPool(): { pool: pg.Pool; statements: () => number } {
  const pool = new pg.Pool({ connectionString: postgres.url, max: 2 });
  pool.on('error', () => {});
  pools.push(pool);
  let statements = 0;
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as { query: unknown }).query = (...args: unknown[]) => {
    statements += 1;
    return query(...args);
  };
  return { pool, statements: () => statements };
}

before(async () => {
  postgres = await startSharedPostgres(join(dir, 'postgres'), 'tokens');
  const { pool } = managerPool();
  for (const statement of schemaStatements) await pool.query(statement);
});

after(async () => {
  for (const pool of pools) await pool.end();
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a valid token is read once, then trusted; the manager that revokes it refuses it at once', async () => {
  const { pool, statements } = managerPool();
  const tokens = new TokenStore(pool, 60_000);
  const created = await tokens.create('dashboard', 'viewer');
  const before = statements();
  for (let i = 0; i < 5; i++) assert.equal((await tokens.authenticate(created.token))?.name, 'dashboard');
  // One read of the row, and one write of last_used_at (never used before).
  assert.equal(statements() - before, 2, 'five checks of one token cost one read and one last-used write');

  const wrongSecret = `${created.token.slice(0, -1)}${created.token.endsWith('A') ? 'B' : 'A'}`;
  assert.equal(await tokens.authenticate(wrongSecret), undefined, 'a trusted row still needs the right secret');
  assert.equal(await tokens.authenticate(`sf.${created.id + 1000}.${created.token.split('.')[2]}`), undefined, 'an unknown id');

  await tokens.revoke('dashboard');
  assert.equal(await tokens.authenticate(created.token), undefined, 'refused at once where it was revoked');
  assert.equal(await tokens.isValid(created.token), false);
});

test('a token revoked through another manager is refused once its trust lapses', async () => {
  const here = new TokenStore(managerPool().pool, trustMs);
  const there = new TokenStore(managerPool().pool, trustMs);
  const created = await here.create('night-shift', 'operator');
  assert.equal((await here.authenticate(created.token))?.role, 'operator');
  assert.equal((await there.authenticate(created.token))?.role, 'operator');

  await there.revoke('night-shift');
  assert.equal(await there.authenticate(created.token), undefined);
  await sleep(trustMs + 50);
  assert.equal(await here.authenticate(created.token), undefined, 'read again once trusted for trustMs, and found revoked');
});

test("marked used in the background (the API's front): the answer does not wait, the mark is still written", async () => {
  const tokens = new TokenStore(managerPool().pool, 60_000, 'inBackground');
  const created = await tokens.create('wallboard', 'viewer');
  assert.equal((await tokens.authenticate(created.token))?.name, 'wallboard');
  const reader = new TokenStore(managerPool().pool);
  let listed = (await reader.list()).find((t) => t.name === 'wallboard');
  for (let i = 0; i < 100 && listed?.lastUsedAt === null; i++) {
    await sleep(50);
    listed = (await reader.list()).find((t) => t.name === 'wallboard');
  }
  assert.notEqual(listed?.lastUsedAt, null);
});
