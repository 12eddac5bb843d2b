// A phase under its policy: attempt; on failure undo what needs undoing, then retry after a durable
// backoff, ask an operator (and wait for the answer, durably, for as long as the policy allows), or
// abort. Which of these comes next is decided by afterFailure (decisions.ts). Before each attempt and
// after each failure the run looks for an operator's cancel request (procedure/cancel.ts): these are
// its safe points, and a backoff or a wait for a decision is cut short by one.
import type { Actor, PhasePolicy, Phase } from '../store/records.ts';
import type { Cause } from './causes.ts';
import { afterFailure, cancelFailure, failureActor, type Failure } from './decisions.ts';
import { attemptsPerPhase } from './operation-index.ts';
import { awaitOperator, type OperatorAnswer } from './operator-wait.ts';
import type { RunContext } from './run-context.ts';
import type { ConfigFile, ImageFacts } from './step-types.ts';

/** What an operator handed in with a retry: a corrected image, an edited configuration. */
export interface Supplied {
  image?: ImageFacts;
  config?: ConfigFile;
}

/** An attempt, or a phase, that did not succeed: the failure says where and why. */
export interface Failed {
  ok: false;
  failure: Failure;
}

export type AttemptResult<T> = { ok: true; value: T } | Failed;

/** How every phase says an attempt failed. */
export function attemptFailed(phase: Phase, cause: Cause, message: string): Failed {
  return { ok: false, failure: { phase, cause, message } };
}

export interface AttemptContext {
  supplied: Supplied;
  /** The failure of the attempt before, if any. */
  previous: Failure | undefined;
}

export type PhaseResult<T> =
  | { ok: true; value: T }
  /** The phase gave up: by the policy (abort) or by an operator (abort or keepNewSoftware). */
  | (Failed & { stop: 'abort' | 'keepNewSoftware'; by: Actor });

/** What an attempt works with, named in its phaseStarted event: the upgrade's image. */
export interface AttemptSubject {
  /** Added to the event's message, e.g. "with image 4.0.1". */
  text: string;
  detail: Record<string, unknown>;
  /** The run installs this image from this attempt on. */
  imageSha256?: string;
}

export interface PhaseOptions {
  /** Runs after every failed attempt, before the policy decides (the upgrade's revert, step 160). */
  afterFailedAttempt?: (attempt: number, failure: Failure) => Promise<void>;
  subject?: (supplied: Supplied) => AttemptSubject;
}

type Operator = `operator:${string}`;

export async function inPhase<T>(
  ctx: RunContext,
  phase: Phase,
  policy: PhasePolicy,
  attempt: (n: number, context: AttemptContext) => Promise<AttemptResult<T>>,
  options: PhaseOptions = {},
): Promise<PhaseResult<T>> {
  let failures = 0;
  let supplied: Supplied = {};
  let previous: Failure | undefined;
  for (let n = 0; n < attemptsPerPhase; n++) {
    const stop = await cancelPoint(ctx, phase);
    if (stop) return stop;
    const subject = options.subject?.(supplied);
    await ctx.record({
      phase,
      kind: 'phaseStarted',
      actor: n === 0 ? 'manager' : 'policy',
      message: `${n === 0 ? `${phase} started` : `${phase} attempt ${n + 1}`}${subject ? ` ${subject.text}` : ''}`,
      detail: { attempt: n, ...subject?.detail },
      ...(subject?.imageSha256 ? { imageSha256: subject.imageSha256 } : {}),
    });
    const result = await attempt(n, { supplied, previous });
    if (result.ok) {
      await ctx.record({ phase, kind: 'phaseSucceeded', actor: 'manager', message: `${phase} done`, detail: { attempt: n } });
      return result;
    }
    await ctx.record({
      phase,
      kind: 'phaseFailed',
      actor: failureActor(result.failure.cause),
      cause: result.failure.cause,
      message: result.failure.message,
      detail: { ...result.failure.detail, attempt: n },
    });
    await options.afterFailedAttempt?.(n, result.failure);
    const stopNow = await cancelPoint(ctx, phase);
    if (stopNow) return stopNow;
    if (result.failure.cause === 'managerChanged') {
      // The run changed managers mid-transfer: what only the old one served is offered again from here, at once.
      await ctx.record({ phase, kind: 'reissued', actor: 'manager', message: `${phase} offered again by this manager`, detail: { attempt: n } });
      continue;
    }
    failures += 1;
    previous = result.failure;

    const next = afterFailure(policy, failures, result.failure.cause);
    if (next.action === 'retry') {
      await ctx.record({
        phase,
        kind: 'retryScheduled',
        actor: 'policy',
        cause: result.failure.cause,
        message: `retry ${failures} of ${policy.retries} in ${next.backoffSeconds} s`,
        detail: { retry: failures, backoffSeconds: next.backoffSeconds },
      });
      const cancelInBackoff = await backoff(ctx, next.backoffSeconds);
      if (cancelInBackoff) return cancelled(ctx, phase, cancelInBackoff);
      continue;
    }
    if (next.action === 'abort') return { ok: false, failure: result.failure, stop: 'abort', by: 'policy' };

    const answer = await askOperator(ctx, phase, result.failure);
    if (!answer) return { ok: false, failure: result.failure, stop: 'abort', by: 'policy' };
    if ('cancel' in answer) return cancelled(ctx, phase, answer.cancel);
    const { decision } = answer;
    await ctx.record({
      phase,
      kind: 'decision',
      actor: decision.actor,
      message: `${decision.actor.slice('operator:'.length)} answered ${decision.answer}${decision.image ? ` with image ${decision.image.version}` : ''}${decision.config ? ` with configuration ${decision.config.sha256.slice(0, 12)}` : ''}`,
      detail: { decisionId: decision.id, answer: decision.answer, imageSha256: decision.image?.sha256 ?? null, backupSha256: decision.config?.sha256 ?? null },
      state: 'running',
    });
    if (decision.answer !== 'retry')
      return { ok: false, failure: result.failure, stop: decision.answer === 'keepNewSoftware' ? 'keepNewSoftware' : 'abort', by: decision.actor };
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

type Stopped = Extract<PhaseResult<never>, { ok: false }>;

/** A safe point: the run stops here, in `phase`, if an operator asked to cancel it. */
export async function cancelPoint(ctx: RunContext, phase: Phase): Promise<Stopped | undefined> {
  const cancel = await ctx.steps.cancelRequest(ctx.run.runId);
  return cancel ? cancelled(ctx, phase, cancel) : undefined;
}

/** The phase stops at a safe point because an operator asked to cancel the run. */
async function cancelled(ctx: RunContext, phase: Phase, by: Operator): Promise<Stopped> {
  const failure = cancelFailure(phase, by);
  await ctx.record({
    phase,
    kind: 'cancelled',
    actor: by,
    cause: failure.cause,
    message: `${failure.message}: the run starts nothing new in ${phase}`,
    detail: { by },
    state: 'running',
  });
  return { ok: false, failure, stop: 'abort', by };
}

/** Wake-ups a backoff may hear before it ends: each is a decision's left over, or a cancel request. */
const backoffRounds = 16;

/**
 * A retry's backoff: a durable wait that an operator's wake-up cuts short when it is a cancel request.
 * Returns who asked to cancel, or null when the backoff ran out.
 */
async function backoff(ctx: RunContext, seconds: number): Promise<Operator | null> {
  const until = (await ctx.durable.now()) + seconds * 1000;
  for (let round = 0; ; round++) {
    const now = await ctx.durable.now();
    if (now >= until) return null;
    if (round === backoffRounds) {
      await ctx.durable.sleep(until - now);
      return null;
    }
    await ctx.durable.operatorWakeUp((until - now) / 1000);
    const cancel = await ctx.steps.cancelRequest(ctx.run.runId);
    if (cancel) return cancel;
  }
}

/** Waits for an operator's decision on the failure, up to the longest wait; undefined when nobody answered. */
function askOperator(ctx: RunContext, phase: Phase, failure: Failure): Promise<OperatorAnswer | undefined> {
  const { timeouts } = ctx;
  return awaitOperator(
    ctx,
    { phase, actor: 'policy', cause: failure.cause, message: `waiting for an operator: ${failure.message}`, detail: { failure } },
    'waiting',
    { recheckSeconds: timeouts.decisionRecheckSeconds, looks: Math.ceil(timeouts.decisionWaitSeconds / timeouts.decisionRecheckSeconds) },
  );
}
