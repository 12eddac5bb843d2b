// The durable messages a waiting run receives: an operation's end or a boot (from the notification
// receiver of whichever manager heard it), and the operator's decision.
import type { Bank, FailCause, OperationState } from '../../agent/types.ts';

export type OperationMessage =
  | { kind: 'completed'; state: OperationState; failCause: FailCause; failMessage: string }
  /** The device booted: a hint to read the operation row now rather than at the next poll. */
  | { kind: 'boot'; runningVersion: string; activeBank: Bank };

export function operationTopic(index: number): string {
  return `op:${index}`;
}

/** Carries only a wake-up: the decision itself is read from the decisions table. */
export const decisionTopic = 'decision';
