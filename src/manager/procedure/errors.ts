// The procedure's refusals: a run that cannot start, a decision that cannot be taken. Each says what
// was wrong; nothing has changed when one is thrown.
import type { Actor } from '../store/records.ts';

export type RunRequestProblem = 'unknownDevice' | 'unknownImage' | 'wrongModel' | 'activeRun' | 'badPolicy' | 'badOptions' | 'badActor' | 'badRunId';

export class RunRequestError extends Error {
  override name = 'RunRequestError';
  constructor(
    readonly problem: RunRequestProblem,
    message: string,
  ) {
    super(message);
  }
}

/** The run is not waiting for a decision (it runs, has ended, or another operator answered first). */
export class NotWaitingError extends Error {
  override name = 'NotWaitingError';
}

export type DecisionProblem = 'unknownRun' | 'badAnswer' | 'badActor' | 'unknownImage' | 'wrongModel' | 'unknownConfig' | 'notHere';

export class DecisionError extends Error {
  override name = 'DecisionError';
  constructor(
    readonly problem: DecisionProblem,
    message: string,
  ) {
    super(message);
  }
}

export type CancelProblem = 'unknownRun' | 'badActor' | 'ended';

/** A cancel request that cannot be taken: nothing has changed when one is thrown. */
export class CancelError extends Error {
  override name = 'CancelError';
  constructor(
    readonly problem: CancelProblem,
    message: string,
  ) {
    super(message);
  }
}

const actorPattern = /^(policy|device|manager|operator:[^\s:][^\s]{0,63})$/;

export function isActor(value: unknown): value is Actor {
  return typeof value === 'string' && actorPattern.test(value);
}

export function isOperator(value: unknown): value is `operator:${string}` {
  return isActor(value) && value.startsWith('operator:');
}
