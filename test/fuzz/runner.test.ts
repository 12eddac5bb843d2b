// The fuzz runner itself: a failure is reported with a seed and path that replay that very input, and
// the round goes on past it, so one bug does not hide the next.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { runRound } from '../../bench/fuzz/run.ts';
import { fuzzTarget } from '../../bench/fuzz/target.ts';

const seen: number[] = [];
const bigNumbersFail = fuzzTarget({
  name: 'big-numbers-fail',
  description: 'fails on any number of 900 or more',
  defaultInputs: 100,
  open: async () => undefined,
  property: () =>
    fc.property(fc.integer({ min: 0, max: 1000 }), (n) => {
      seen.push(n);
      if (n >= 900) throw new Error(`too big: ${n}`);
    }),
  close: async () => {},
});

const hangs = fuzzTarget({
  name: 'hangs',
  description: 'never settles',
  defaultInputs: 1,
  open: async () => undefined,
  property: () => fc.asyncProperty(fc.nat(), () => new Promise<void>(() => {})),
  close: async () => {},
});

test('each failing batch is reported with a seed and path that replay the same input', async () => {
  const report = await runRound(bigNumbersFail, { inputs: 400, seed: 7, batch: 100 });
  assert.ok(report.failures.length >= 2, `failures in several batches, got ${report.failures.length}`);
  for (const failure of report.failures) {
    seen.length = 0;
    const replay = await runRound(bigNumbersFail, { inputs: 1, seed: failure.seed, path: failure.path });
    assert.equal(replay.failures.length, 1);
    assert.equal(replay.failures[0]!.error, failure.error);
    assert.equal(seen.length, 1, 'the replay tries only the failing input');
  }
});

test('an input that never settles counts as a failure, and the round still ends', async () => {
  const report = await runRound(hangs, { inputs: 1, seed: 1, inputTimeoutMs: 200 });
  assert.equal(report.failures.length, 1);
  assert.match(report.failures[0]!.error, /timeout/i);
});
