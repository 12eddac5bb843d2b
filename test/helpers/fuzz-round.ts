// A short seeded round of a fuzz target (bench/fuzz/), as the test suite runs it: a fixed seed, so a
// failure here replays with the command it prints.
import assert from 'node:assert/strict';
import { runRound } from '../../bench/fuzz/run.ts';
import type { FuzzTarget } from '../../bench/fuzz/target.ts';

export const suiteSeed = 20261206;

export async function assertCleanRound(target: FuzzTarget, inputs: number, context?: unknown): Promise<void> {
  const report = await runRound(target, { inputs, seed: suiteSeed, timeLimitMs: 120_000, ...(context !== undefined ? { context } : {}) });
  const failures = report.failures.map(
    (f) => `${f.error}\n  input: ${f.counterexample}\n  replay: node --import tsx bench/fuzz.ts --target ${target.name} --seed ${f.seed} --path ${f.path}`,
  );
  assert.deepEqual(failures, [], `${target.name}: ${failures.length} failing inputs`);
  assert.equal(report.inputs, inputs, `${target.name}: every input was tried`);
}
