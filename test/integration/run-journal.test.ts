// A run's journal on a real PostgreSQL: answers and events are written before the run acts and when
// told to, in one statement; a replay (a new execution of the run's workflow) gets the written answers
// back without doing the work again and redoes what was never written, takes the steps in the same order
// or says that the procedure changed under the run; of two executions at once, the one whose answer
// lost stops.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Error as DBOSErrors } from '@dbos-inc/dbos-sdk';
import {
  durableStep,
  keptForExecution,
  ridingWithJournal,
  RunJournal,
  StepMismatchError,
  stepKey,
  withJournal,
} from '../../src/manager/procedure/run-journal.ts';
import { temporaryDatabase } from '../helpers/temporary-database.ts';

const postgres = temporaryDatabase('journal');
let deviceId: number | undefined;

/** A run row for the journal to hang on (ended: the device holds one unfinished run at most), of the one device. */
async function newRun(id: string): Promise<string> {
  deviceId ??= (
    await postgres.store.devices.add(
      { name: 'iad-1', address: '127.0.0.1', port: 16101, security: { version: 'v2c', community: 'public' }, tags: [] },
      { action: 'device.add', actor: 'operator:tester' },
    )
  ).id;
  await postgres.database.pool.query(
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

test('a replayed execution gets every written answer back and does only the steps after them', async () => {
  const runId = await newRun('journal-replay');
  const first = countingSteps();
  const journal = await RunJournal.open(postgres.store.steps, runId);
  const steps = journal.bind(first.definitions);
  const a = await steps.read('model');
  const b = await steps.order(4);
  assert.deepEqual(a, { what: 'model', at: 1, key: 'step:1' });
  assert.equal(b, true);
  assert.equal(steps.plain(1), 2, 'what is not a step passes as it is');
  await journal.writePending();

  // The manager stops here; the next execution takes the same steps, then one more.
  const second = countingSteps();
  const again = (await RunJournal.open(postgres.store.steps, runId)).bind(second.definitions);
  assert.deepEqual(await again.read('model'), a);
  assert.equal(await again.order(4), true);
  assert.deepEqual(second.done, [], 'no written step ran again');
  const c = await again.read('version');
  assert.deepEqual(c, { what: 'version', at: 1, key: 'step:3' });
  assert.deepEqual(second.done, ['read version']);
});

test('answers wait to be written until the run acts; a crash before that loses only reads, done again on the replay', async () => {
  const runId = await newRun('journal-acts');
  const written = async () => (await postgres.database.pool.query('SELECT seq, name FROM safeflash.run_steps WHERE run_id = $1 ORDER BY seq', [runId])).rows;
  const events = async () =>
    (await postgres.database.pool.query('SELECT kind, step_key, at FROM safeflash.run_events WHERE run_id = $1 ORDER BY id', [runId])).rows;
  const journal = await RunJournal.open(postgres.store.steps, runId);
  await journal.step('test.read', async () => 'version 1');
  journal.event({ phase: 'preflight', kind: 'phaseStarted', actor: 'manager', message: 'preflight started' });
  const happened = new Date();
  assert.deepEqual(await written(), [], 'a read is not written on its own');
  assert.deepEqual(await events(), []);

  // A step that acts writes what came before it first, answers and events in one go.
  let seenBefore: unknown[] = [];
  await journal.step(
    'test.order',
    async () => {
      seenBefore = await written();
      return 'ordered';
    },
    { acts: true },
  );
  assert.deepEqual(seenBefore, [{ seq: 1, name: 'test.read' }]);
  const timeline = await events();
  assert.equal(timeline.length, 1);
  assert.equal(timeline[0].kind, 'phaseStarted');
  assert.equal(timeline[0].step_key, 'event:1');
  assert.ok(Math.abs(timeline[0].at.getTime() - happened.getTime()) < 1000, 'the event keeps the time it happened');
  const run = await postgres.store.runs.get(runId);
  assert.equal(run?.phase, 'verify', "an ended run's row is not moved by an event");

  // The manager dies now: the order's answer was never written. The replay reads again and orders again
  // (the device takes the repeat), and its events are not written twice.
  const replay = await RunJournal.open(postgres.store.steps, runId);
  const done: string[] = [];
  assert.equal(await replay.step('test.read', async () => 'version 1 again'), 'version 1');
  replay.event({ phase: 'preflight', kind: 'phaseStarted', actor: 'manager', message: 'preflight started' });
  assert.equal(
    await replay.step(
      'test.order',
      async () => {
        done.push('order');
        return 'ordered again';
      },
      { acts: true },
    ),
    'ordered again',
  );
  await replay.writePending();
  assert.deepEqual(done, ['order']);
  assert.deepEqual(await written(), [
    { seq: 1, name: 'test.read' },
    { seq: 2, name: 'test.order' },
  ]);
  assert.equal((await events()).length, 1);
});

test('an event moves an active run: its phase, and its state when the event says', async () => {
  const runId = 'journal-moves';
  await postgres.database.pool.query(`UPDATE safeflash.runs SET state = 'failed' WHERE device_id = $1 AND state = 'running'`, [deviceId]);
  await postgres.database.pool.query(
    `INSERT INTO safeflash.runs (id, device_id, image_sha256, policy, state, phase, started_by) VALUES ($1, $2, NULL, '{}', 'running', 'preflight', 'operator:test')`,
    [runId, deviceId],
  );
  const heard: string[] = [];
  const journal = await RunJournal.open(postgres.store.steps, runId, (written) =>
    heard.push(`${written.events.join(',')} ${written.run?.phase}/${written.run?.state}`),
  );
  journal.event({ phase: 'backup', kind: 'phaseStarted', actor: 'manager', message: 'backup started' });
  journal.event({ phase: 'upgrade', kind: 'phaseStarted', actor: 'manager', message: 'upgrade started', state: 'waiting' });
  journal.event({ phase: 'restore', kind: 'phaseStarted', actor: 'manager', message: 'restore started' });
  await journal.writePending();
  const run = await postgres.store.runs.get(runId);
  assert.equal(run?.phase, 'restore', 'the last event says the phase');
  assert.equal(run?.state, 'waiting', 'the last event that names a state says it');
  assert.deepEqual(heard, ['event:1,event:2,event:3 restore/waiting']);
  await postgres.database.pool.query(`UPDATE safeflash.runs SET state = 'failed' WHERE id = $1`, [runId]);
});

test('an answer is JSON, the same for the first execution and a replay', async () => {
  const runId = await newRun('journal-json');
  const journal = await RunJournal.open(postgres.store.steps, runId);
  const answer = await journal.step('test.shape', async () => ({ kept: 1, dropped: undefined, when: new Date(0) }));
  assert.deepEqual(answer, { kept: 1, when: '1970-01-01T00:00:00.000Z' });
  assert.equal(await journal.step('test.nothing', async () => undefined), null, 'a step that answers nothing answers null');
  await journal.writePending();
  const replay = await RunJournal.open(postgres.store.steps, runId);
  assert.deepEqual(await replay.step('test.shape', async () => ({ other: true })), answer);
  assert.equal(await replay.step('test.nothing', async () => 'something'), null);
});

test('a replay that takes another step at a written place is refused, naming both', async () => {
  const runId = await newRun('journal-mismatch');
  const journal = await RunJournal.open(postgres.store.steps, runId);
  await journal.step('test.readDevice', async () => 1);
  await journal.writePending();
  const replay = await RunJournal.open(postgres.store.steps, runId);
  await assert.rejects(
    replay.step('test.startOperation', async () => 2),
    (error: Error) => {
      assert.ok(error instanceof StepMismatchError);
      assert.match(error.message, /step 1 is test\.startOperation in this manager's procedure but test\.readDevice in the run's record/);
      return true;
    },
  );
});

test("two executions of one run at once: the answer written first stands, and the other execution stops as DBOS's conflict", async () => {
  const runId = await newRun('journal-two');
  const [a, b] = await Promise.all([RunJournal.open(postgres.store.steps, runId), RunJournal.open(postgres.store.steps, runId)]);
  assert.deepEqual(await a.step('test.offer', async () => ({ fileName: 'from-a' })), { fileName: 'from-a' });
  await a.writePending();
  assert.deepEqual(await b.step('test.offer', async () => ({ fileName: 'from-b' })), { fileName: 'from-b' });
  await assert.rejects(b.writePending(), (error: Error) => error instanceof DBOSErrors.DBOSWorkflowConflictError);
  const rows = await postgres.database.pool.query('SELECT seq, output FROM safeflash.run_steps WHERE run_id = $1', [runId]);
  assert.deepEqual(rows.rows, [{ seq: 1, output: { fileName: 'from-a' } }]);
});

test('a database step that fails is tried again; a step that is not retried fails at once and is never written', { timeout: 30_000 }, async () => {
  const runId = await newRun('journal-retry');
  const journal = await RunJournal.open(postgres.store.steps, runId);
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
  await journal.writePending();
  const rows = await postgres.database.pool.query('SELECT seq, name FROM safeflash.run_steps WHERE run_id = $1 ORDER BY seq', [runId]);
  assert.deepEqual(rows.rows, [{ seq: 1, name: 'test.flaky' }]);
});

test('a value kept for an execution is loaded once for all its steps, again after a failed load, and anew by the next execution', async () => {
  const runId = await newRun('journal-kept');
  let loads = 0;
  const load = async () => {
    loads += 1;
    if (loads === 1) throw new Error('the database stayed away');
    return loads;
  };
  const first = await RunJournal.open(postgres.store.steps, runId);
  await assert.rejects(
    first.step('test.kept', () => keptForExecution('device:1', load)),
    /stayed away/,
  );
  assert.equal(await first.step('test.kept', () => keptForExecution('device:1', load)), 2, 'a failed load is not kept');
  assert.equal(await first.step('test.kept', () => keptForExecution('device:1', load)), 2);
  assert.equal(await first.step('test.other', () => keptForExecution('device:2', async () => 'other')), 'other');
  assert.equal(loads, 2);
  const next = await RunJournal.open(postgres.store.steps, runId);
  assert.equal(await next.step('test.kept', () => keptForExecution('device:1', load)), 3, 'a new execution loads again');
  assert.equal(await keptForExecution('device:1', load), 4, 'outside a step, loaded every time');
});

test('a first statement that only reads follows the journal it carries, outside a transaction, and sees it written', async () => {
  const runId = await newRun('journal-reads');
  const journal = await RunJournal.open(postgres.store.steps, runId);
  await journal.step('test.read', async () => 'model');
  const seen = await journal.step(
    'test.wait',
    () =>
      withJournal(
        async (db) => {
          assert.equal(db, undefined, 'no transaction');
          return (await postgres.database.pool.query('SELECT seq, name FROM safeflash.run_steps WHERE run_id = $1 ORDER BY seq', [runId])).rows;
        },
        { reads: true },
      ),
    { carries: true },
  );
  assert.deepEqual(seen, [{ seq: 1, name: 'test.read' }]);
});

test('a riding write replaces the one of the same key still waiting to be made; the others are all made, once', async () => {
  const runId = await newRun('journal-riding');
  const journal = await RunJournal.open(postgres.store.steps, runId);
  const made: string[] = [];
  const ride = (what: string, key?: string) =>
    journal.step(`test.${what}`, () =>
      ridingWithJournal(async (db) => {
        assert.ok(db, "in the journal's transaction");
        made.push(what);
      }, key),
    );
  await ride('reading 1', 'reading:1');
  await ride('offer');
  await ride('reading 2', 'reading:1');
  await ride('other device', 'reading:2');
  await journal.writePending();
  assert.deepEqual(made, ['offer', 'reading 2', 'other device']);
  await journal.writePending();
  assert.equal(made.length, 3, 'made once');
});

test('stepKey outside a step is an error, not a key that could collide', () => {
  assert.throws(() => stepKey(), /outside a durable step/);
});
