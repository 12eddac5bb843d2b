// A campaign's run starts, which its turn does not wait for: every run is started at once, a start that
// fails is tried again, one that keeps failing is thrown at the campaign's next turn and at its end, and
// the end waits for every start.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RunStarts } from '../../src/manager/campaigns/run-starts.ts';

/** A start per run that ends only when the test says so. */
function heldStarts() {
  const pending = new Map<string, { resolve: () => void; reject: (error: Error) => void }>();
  const startRun = (runId: string) =>
    new Promise<void>((resolve, reject) => {
      pending.set(runId, { resolve, reject });
    });
  return { pending, startRun };
}

test('every run is started at once, and the end waits for each start', async () => {
  const starts = new RunStarts();
  const held = heldStarts();
  starts.start(['run-1', 'run-2'], held.startRun);
  starts.start(['run-3'], held.startRun);
  assert.deepEqual([...held.pending.keys()], ['run-1', 'run-2', 'run-3']);

  let settled = false;
  const end = starts.settled().then(() => {
    settled = true;
  });
  held.pending.get('run-1')!.resolve();
  held.pending.get('run-3')!.resolve();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled, false, 'run-2 is still starting');
  held.pending.get('run-2')!.resolve();
  await end;
  assert.equal(settled, true);
  starts.check();
});

test('a start that fails is tried again; the campaign goes on once it succeeds', async () => {
  const starts = new RunStarts();
  const tries: string[] = [];
  starts.start(['run-1'], async (runId) => {
    tries.push(runId);
    if (tries.length === 1) throw new Error('connection lost while enqueuing run-1');
  });
  await starts.settled();
  assert.deepEqual(tries, ['run-1', 'run-1']);
  starts.check();
});

/** Tries `work` three times in all, without waiting between the tries. */
async function threeTimes(work: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

test('a start that fails every time is thrown at the next check and at the end, the first to fail only', async () => {
  const starts = new RunStarts(threeTimes);
  const tries = new Map<string, number>();
  const failing = (runId: string) => {
    tries.set(runId, (tries.get(runId) ?? 0) + 1);
    return runId === 'run-3' ? Promise.resolve() : Promise.reject(new Error(`database gone while enqueuing ${runId}`));
  };
  starts.start(['run-2', 'run-1', 'run-3'], failing);
  starts.check();
  await assert.rejects(starts.settled(), /run-2/);
  assert.throws(() => starts.check(), /run-2/);
  assert.deepEqual(Object.fromEntries(tries), { 'run-2': 3, 'run-1': 3, 'run-3': 1 });
});
