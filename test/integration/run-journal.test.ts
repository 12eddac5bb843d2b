// A run's journal on a real PostgreSQL: a step's answer is recorded once, a replay (a new execution of
// the run's workflow) gets the recorded answers back without doing the work again, takes the steps in
// the same order or says that the procedure changed under the run, and two executions at once go on
// from the answer recorded first.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { durableStep, RunJournal, StepMismatchError, stepKey } from '../../src/manager/procedure/run-journal.ts';
import { openDatabase, type Database } from '../../src/manager/store/database.ts';
import { storeOn, type Store } from '../../src/manager/store/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'sf-journal-'));
// As root PostgreSQL runs as another user, who must be able to enter the directory.
chmodSync(dir, 0o755);
let database: Database;
let store: Store;
let deviceId: number;

before(async () => {
  database = await openDatabase({ dataDir: dir });
  store = storeOn(database.pool);
  deviceId = (await store.devices.add({ name: 'iad-1', address: '127.0.0.1', port: 16101, security: { version: 'v2c', community: 'public' }, tags: [] })).id;
});

after(async () => {
  await database?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A run row for the journal to hang on (ended: the device holds one unfinished run at most). */
async function newRun(id: string): Promise<string> {
  await database.pool.query(
    `INSERT INTO safeflash.runs (id, device_id, image_sha256, policy, state, phase, started_by) VALUES ($1, $2, NULL, '{}', 'verified', 'verify', 'operator:test')`,
    [id, deviceId],
  );
  return id;
}

/** Steps that count how often their work ran. */
function countingSteps() {
  const done: string[] = [];
  return {
    done,
    definitions: {
      read: durableStep('test.read', async (what: string) => {
        done.push(`read ${what}`);
        return { what, at: done.length, key: stepKey() };
      }),
      order: durableStep('test.order', async (index: number) => {
        done.push(`order ${index}`);
        return index % 2 === 0;
      }),
      plain: (x: number) => x + 1,
    },
  };
}

test('a replayed execution gets every recorded answer back and does only the steps after them', async () => {
  const runId = await newRun('journal-replay');
  const first = countingSteps();
  const steps = (await RunJournal.open(store.steps, runId)).bind(first.definitions);
  const a = await steps.read('model');
  const b = await steps.order(4);
  assert.deepEqual(a, { what: 'model', at: 1, key: 'step:1' });
  assert.equal(b, true);
  assert.equal(steps.plain(1), 2, 'what is not a step passes as it is');

  // The manager stops here; the next execution takes the same steps, then one more.
  const second = countingSteps();
  const again = (await RunJournal.open(store.steps, runId)).bind(second.definitions);
  assert.deepEqual(await again.read('model'), a);
  assert.equal(await again.order(4), true);
  assert.deepEqual(second.done, [], 'no recorded step ran again');
  const c = await again.read('version');
  assert.deepEqual(c, { what: 'version', at: 1, key: 'step:3' });
  assert.deepEqual(second.done, ['read version']);
});

test('an answer is what was recorded, JSON: the first execution and a replay go on from the same value', async () => {
  const runId = await newRun('journal-json');
  const journal = await RunJournal.open(store.steps, runId);
  const answer = await journal.step('test.shape', async () => ({ kept: 1, dropped: undefined, when: new Date(0) }));
  assert.deepEqual(answer, { kept: 1, when: '1970-01-01T00:00:00.000Z' });
  const replayed = await (await RunJournal.open(store.steps, runId)).step('test.shape', async () => ({ other: true }));
  assert.deepEqual(replayed, answer);
});

test('a replay that takes another step at a recorded place is refused, naming both', async () => {
  const runId = await newRun('journal-mismatch');
  await (await RunJournal.open(store.steps, runId)).step('test.readDevice', async () => 1);
  const replay = await RunJournal.open(store.steps, runId);
  await assert.rejects(
    replay.step('test.startOperation', async () => 2),
    (error: Error) => {
      assert.ok(error instanceof StepMismatchError);
      assert.match(error.message, /step 1 is test\.startOperation in this manager's procedure but test\.readDevice in the run's record/);
      return true;
    },
  );
});

test('two executions of one run at once: both go on from the answer recorded first', async () => {
  const runId = await newRun('journal-two');
  const [a, b] = await Promise.all([RunJournal.open(store.steps, runId), RunJournal.open(store.steps, runId)]);
  const first = await a.step('test.offer', async () => ({ fileName: 'from-a' }));
  const second = await b.step('test.offer', async () => ({ fileName: 'from-b' }));
  assert.deepEqual(first, { fileName: 'from-a' });
  assert.deepEqual(second, { fileName: 'from-a' }, "b's own answer lost to the one recorded first");
  const rows = await database.pool.query('SELECT seq, output FROM safeflash.run_steps WHERE run_id = $1', [runId]);
  assert.deepEqual(rows.rows, [{ seq: 1, output: { fileName: 'from-a' } }]);
});

test('a database step that fails is tried again; a step that is not retried fails at once and records nothing', { timeout: 30_000 }, async () => {
  const runId = await newRun('journal-retry');
  const journal = await RunJournal.open(store.steps, runId);
  let tries = 0;
  const answer = await journal.step(
    'test.flaky',
    async () => {
      tries += 1;
      if (tries < 2) throw new Error('lost the connection');
      return tries;
    },
    { retries: true },
  );
  assert.equal(answer, 2);
  await assert.rejects(
    journal.step('test.fails', async () => {
      throw new Error('device refused');
    }),
    /device refused/,
  );
  const rows = await database.pool.query('SELECT seq, name FROM safeflash.run_steps WHERE run_id = $1 ORDER BY seq', [runId]);
  assert.deepEqual(rows.rows, [{ seq: 1, name: 'test.flaky' }]);
});

test('stepKey outside a step is an error, not a key that could collide', () => {
  assert.throws(() => stepKey(), /outside a durable step/);
});
