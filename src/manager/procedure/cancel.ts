// An operator's request to cancel a run: recorded on the run with who and when (procedure/phase-loop.ts
// and operation-wait.ts find it at the run's next safe point), then sent to the run as a durable wake-up
// that cuts a retry's backoff or a wait for a decision short. A run is never stopped mid-step: an
// operation already ordered is awaited to its end, and what follows is the usual end or full rollback.
import { DBOS } from '@dbos-inc/dbos-sdk';
import type { Actor, RunRecord } from '../store/records.ts';
import type { RunStore } from '../store/runs.ts';
import { CancelError, isOperator } from './errors.ts';
import { operatorTopic } from './messages.ts';

export interface CancelAnswer {
  run: RunRecord;
  /** The run had been asked to cancel already; this request changed nothing. */
  repeated: boolean;
}

export async function cancelRun(runs: RunStore, runId: string, actor: Actor): Promise<CancelAnswer> {
  if (!isOperator(actor)) throw new CancelError('badActor', `a cancel request is an operator's: actor must be "operator:<name>", got ${JSON.stringify(actor)}`);
  const answer = await runs.requestCancel(runId, actor);
  if (!answer) {
    const run = await runs.get(runId);
    if (!run) throw new CancelError('unknownRun', `no run ${runId}`);
    throw new CancelError('ended', `run ${runId} has ended (${run.state}): there is nothing to cancel`);
  }
  // Sent again on a repeated request: harmless (one message per run), and it covers a first request
  // whose manager died between recording it and sending this.
  try {
    await DBOS.send(runId, { cancel: true }, operatorTopic, `cancel:${runId}`);
  } catch (error) {
    // A run whose workflow has not started yet (a campaign's, a manager's that died) has nothing to
    // wake: it finds the request at its first safe point.
    if ((error as Error).name !== 'DBOSNonExistentWorkflowError') throw error;
  }
  return answer;
}
