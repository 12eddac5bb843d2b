// A phase under its policy: attempt; on failure undo what needs undoing, then retry after a durable
// backoff, ask an operator (and wait for the answer, durably, for as long as the policy allows), or
// abort. Which of these comes next is decided by afterFailure (decisions.ts).
import { DBOS } from '@dbos-inc/dbos-sdk';
import type { Actor, PhasePolicy, Phase } from '../store/records.ts';
import { afterFailure, failureActor, type Failure } from './decisions.ts';
import { decisionTopic } from './messages.ts';
import { attemptsPerPhase } from './operation-index.ts';
import type { RunContext } from './run-context.ts';
import type { ConfigFile, DecisionFacts, ImageFacts } from './step-types.ts';

/** What an operator handed in with a retry: a corrected image, an edited configuration. */
export interface Supplied {
  image?: ImageFacts;
  config?: ConfigFile;
}

export type AttemptResult<T> = { ok: true; value: T } | { ok: false; failure: Failure };

export interface AttemptContext {
  supplied: Supplied;
  /** The failure of the attempt before, if any. */
  previous: Failure | undefined;
}

export type PhaseResult<T> =
  | { ok: true; value: T }
  /** The phase gave up: by the policy (abort) or by an operator (abort or keepNewSoftware). */
  | { ok: false; failure: Failure; stop: 'abort' | 'keepNewSoftware'; by: Actor };

export interface PhaseOptions {
  /** Runs after every failed attempt, before the policy decides (the upgrade's revert, step 160). */
  afterFailedAttempt?: (attempt: number, failure: Failure) => Promise<void>;
}

export async function inPhase<T>(
  ctx: RunContext,
  phase: Phase,
  policy: PhasePolicy,
  attempt: (n: number, context: AttemptContext) => Promise<AttemptResult<T>>,
  options: PhaseOptions = {},
): Promise<PhaseResult<T>> {
  const { run, steps } = ctx;
  let failures = 0;
  let supplied: Supplied = {};
  let previous: Failure | undefined;
  for (let n = 0; n < attemptsPerPhase; n++) {
    await steps.event(run.runId, {
      phase,
      kind: 'phaseStarted',
      actor: n === 0 ? 'manager' : 'policy',
      message: n === 0 ? `${phase} started` : `${phase} attempt ${n + 1}`,
      detail: { attempt: n },
    });
    const result = await attempt(n, { supplied, previous });
    if (result.ok) {
      await steps.event(run.runId, { phase, kind: 'phaseSucceeded', actor: 'manager', message: `${phase} done`, detail: { attempt: n } });
      return result;
    }
    failures += 1;
    previous = result.failure;
    await steps.event(run.runId, {
      phase,
      kind: 'phaseFailed',
      actor: failureActor(result.failure.cause),
      cause: result.failure.cause,
      message: result.failure.message,
      detail: { ...result.failure.detail, attempt: n },
    });
    await options.afterFailedAttempt?.(n, result.failure);

    const next = afterFailure(policy, failures, result.failure.cause);
    if (next.action === 'retry') {
      await steps.event(run.runId, {
        phase,
        kind: 'retryScheduled',
        actor: 'policy',
        cause: result.failure.cause,
        message: `retry ${failures} of ${policy.retries} in ${next.backoffSeconds} s`,
        detail: { retry: failures, backoffSeconds: next.backoffSeconds },
      });
      await DBOS.sleep(next.backoffSeconds * 1000);
      continue;
    }
    if (next.action === 'abort') return { ok: false, failure: result.failure, stop: 'abort', by: 'policy' };

    const decision = await askOperator(ctx, phase, result.failure);
    if (!decision) return { ok: false, failure: result.failure, stop: 'abort', by: 'policy' };
    await steps.event(run.runId, {
      phase,
      kind: 'decision',
      actor: decision.actor,
      message: `${decision.actor.slice('operator:'.length)} answered ${decision.answer}${decision.image ? ` with image ${decision.image.version}` : ''}${decision.config ? ` with configuration ${decision.config.sha256.slice(0, 12)}` : ''}`,
      detail: { decisionId: decision.id, answer: decision.answer, imageSha256: decision.image?.sha256 ?? null, backupSha256: decision.config?.sha256 ?? null },
      state: 'running',
    });
    if (decision.answer !== 'retry') return { ok: false, failure: result.failure, stop: decision.answer, by: decision.actor };
    failures = 0;
    supplied = { ...supplied, ...(decision.image ? { image: decision.image } : {}), ...(decision.config ? { config: decision.config } : {}) };
  }
  return {
    ok: false,
    failure: previous ?? { phase, cause: 'unknown', message: 'no attempt made' },
    stop: 'abort',
    by: 'policy',
  };
}

/**
 * Parks the run and waits for an operator's decision: the answer is read from the decisions table,
 * the durable message only wakes the run (and an hourly look covers a message that never came).
 * Undefined when nobody answered within the longest wait.
 */
async function askOperator(ctx: RunContext, phase: Phase, failure: Failure): Promise<DecisionFacts | undefined> {
  const { run, steps, timeouts } = ctx;
  const mark = await steps.askOperator(run.runId, {
    phase,
    actor: 'policy',
    cause: failure.cause,
    message: `waiting for an operator: ${failure.message}`,
    detail: { failure },
  });
  const looks = Math.ceil(timeouts.decisionWaitSeconds / timeouts.decisionRecheckSeconds);
  for (let look = 0; look <= looks; look++) {
    const decision = await steps.findDecision(run.runId, mark);
    if (decision) return decision;
    if (look < looks) await DBOS.recv(decisionTopic, { timeoutSeconds: timeouts.decisionRecheckSeconds, pollingIntervalMs: 1000 });
  }
  return undefined;
}
