// The manager's connections to its database: DBOS's own (its workflows' state) end a transaction left
// open for a minute, as DBOS's would, and say whose they are; the setting comes with the connection, so
// no query races the connection's first user. The heartbeat has a connection of its own, so that a
// manager whose store is busy is not taken for a dead one.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDatabase, storePoolSize } from '../../src/manager/store/database.ts';
import { ManagerStore } from '../../src/manager/store/managers.ts';

test("DBOS's connections end a transaction left open for a minute and name themselves; the store's keep the server's default", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-database-pools-'));
  // As root PostgreSQL runs as another user, who must be able to enter the directory.
  chmodSync(dir, 0o755);
  const database = await openDatabase({ dataDir: dir });
  try {
    const setting = async (pool: typeof database.pool, name: string) =>
      (await pool.query<{ value: string }>('SELECT current_setting($1) AS value', [name])).rows[0]!.value;
    assert.equal(await setting(database.workflowPool, 'idle_in_transaction_session_timeout'), '1min');
    assert.equal(await setting(database.workflowPool, 'application_name'), 'safeflash-workflows');
    assert.equal(await setting(database.pool, 'idle_in_transaction_session_timeout'), '0');
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(database.workflowPool.ended, true, 'closing the database ends the pool DBOS was given');
});

test("a heartbeat does not wait for the store's connections: with every one of them taken, it still goes through", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-database-pools-'));
  chmodSync(dir, 0o755);
  const database = await openDatabase({ dataDir: dir });
  const taken = [];
  try {
    for (let i = 0; i < storePoolSize; i++) taken.push(await database.pool.connect());
    const queued = database.pool.query('SELECT 1');
    assert.equal(database.pool.waitingCount, 1, "the store's next query waits for a connection");
    const managers = new ManagerStore(database.membershipPool);
    const here = { address: '127.0.0.1', port: 1 };
    await managers.register({ executorId: 'manager-busy', host: 'here', pid: 1, endpoints: { notifications: here, tftp: here, ftp: here } });
    assert.equal(await managers.heartbeat('manager-busy'), true, 'the heartbeat went through meanwhile');
    for (const client of taken.splice(0)) client.release();
    await queued;
  } finally {
    for (const client of taken) client.release();
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(database.membershipPool.ended, true, "closing the database ends the heartbeat's connection");
});
