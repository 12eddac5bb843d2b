// A run parked for an operator: waiting for a decision after a failure, or staged for its activation.
// The answer is read from the decisions table; the durable message on the operator topic only wakes the
// run, and a look every `recheckSeconds` covers a wake-up lost with a connection. A cancel request ends
// the wait too. Both waits make the same steps in the same order, so a replay finds each one recorded.
import type { ParkedState } from '../store/runs.ts';
import type { RunContext } from './run-context.ts';
import type { DecisionFacts } from './step-types.ts';

export type OperatorAnswer = { decision: DecisionFacts } | { cancel: `operator:${string}` };

/**
 * Parks the run as `parkedAs` with `question` in its timeline, then waits for an answer: at most
 * `looks` looks (Infinity: until one comes). Undefined when none came.
 */
export async function awaitOperator(
  ctx: RunContext,
  question: Parameters<RunContext['steps']['askOperator']>[1],
  parkedAs: ParkedState,
  wait: { recheckSeconds: number; looks: number },
): Promise<OperatorAnswer | undefined> {
  const { run, steps } = ctx;
  const mark = await steps.askOperator(run.runId, question, parkedAs);
  for (let look = 0; look <= wait.looks; look++) {
    const decision = await steps.findDecision(run.runId, mark);
    if (decision) return { decision };
    const cancel = await steps.cancelRequest(run.runId);
    if (cancel) return { cancel };
    if (look < wait.looks) await ctx.durable.operatorWakeUp(wait.recheckSeconds);
  }
  return undefined;
}
