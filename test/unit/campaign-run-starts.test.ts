// A campaign's run starts, which its turn does not wait for: every run is started at once, a failed
// start is kept and thrown at the campaign's next turn and at its end, and the end waits for every start.
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

test('a failed start is thrown at the next check and at the end, the first failure only', async () => {
  const starts = new RunStarts();
  const held = heldStarts();
  starts.start(['run-1', 'run-2', 'run-3'], held.startRun);
  starts.check();
  held.pending.get('run-2')!.reject(new Error('database gone while enqueuing run-2'));
  held.pending.get('run-1')!.reject(new Error('database gone while enqueuing run-1'));
  held.pending.get('run-3')!.resolve();
  await new Promise((resolve) => setImmediate(resolve));
  assert.throws(() => starts.check(), /run-2/);
  await assert.rejects(starts.settled(), /run-2/);
});
