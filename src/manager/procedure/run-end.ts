// How a run ends: the final report, decided by runOutcome, written once with the run's last event.
import type { Phase, RunOutcome } from '../store/records.ts';
import { runOutcome, type RunEnd } from './decisions.ts';
import type { RunContext } from './run-context.ts';

/** `phase`: where the run ended; null: wherever its last event left it. */
export async function end(ctx: RunContext, phase: Phase | null, how: RunEnd): Promise<RunOutcome> {
  const outcome = runOutcome(how);
  await ctx.steps.finish(ctx.run.runId, phase, outcome);
  return outcome;
}
