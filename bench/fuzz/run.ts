// Runs one target for a bounded number of inputs and time, in batches of their own seed, so that one
// failure does not end the round and each failure comes with the seed and path that replay it alone.
import fc from 'fast-check';
import type { FuzzTarget } from './target.ts';

export interface RoundOptions {
  inputs: number;
  seed: number;
  /** The whole round stops after this long, whatever is left (inputs tried so far are reported). */
  timeLimitMs?: number;
  /** Longest one input may take before it counts as a hang. */
  inputTimeoutMs?: number;
  /** Replays one counterexample: the batch's seed with the path fast-check printed. */
  path?: string;
  batch?: number;
  /** An already open context (the caller closes it): tests that check more on the same server. */
  context?: unknown;
}

export interface FuzzFailure {
  seed: number;
  path: string;
  error: string;
  counterexample: string;
}

export interface RoundReport {
  target: string;
  inputs: number;
  failures: FuzzFailure[];
  seconds: number;
}

const defaultBatch = 2000;

export async function runRound(target: FuzzTarget, options: RoundOptions): Promise<RoundReport> {
  const started = performance.now();
  const deadline = started + (options.timeLimitMs ?? Number.POSITIVE_INFINITY);
  const batch = options.batch ?? defaultBatch;
  const context = options.context ?? (await target.open());
  const failures: FuzzFailure[] = [];
  let inputs = 0;
  try {
    const property = target.property(context);
    for (let b = 0; inputs < options.inputs && performance.now() < deadline; b += 1) {
      const seed = options.seed + b;
      const details = await fc.check(property, {
        seed,
        numRuns: options.path ? 1 : Math.min(batch, options.inputs - inputs),
        ...(options.path ? { path: options.path } : {}),
        // Shrinking a network input can take long: a failure is reported as found, replayable by its path.
        endOnFailure: true,
        timeout: options.inputTimeoutMs ?? 5000,
        ...(Number.isFinite(deadline) ? { interruptAfterTimeLimit: Math.max(1, deadline - performance.now()) } : {}),
        markInterruptAsFailure: false,
      });
      inputs += details.numRuns;
      if (details.failed) {
        failures.push({
          seed,
          path: details.counterexamplePath ?? '',
          error: errorText(details.errorInstance),
          counterexample: fc.stringify(details.counterexample).slice(0, 500),
        });
      }
      if (options.path) break;
      if (details.interrupted) break;
    }
  } finally {
    if (options.context === undefined) await target.close(context);
  }
  return { target: target.name, inputs, failures, seconds: (performance.now() - started) / 1000 };
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n').slice(0, 3).join(' / ');
  return String(error);
}
