// One operation on the device, inside a workflow: order it, then wait for its end. A notification
// (recorded on the operation's route by whichever manager heard it) is the fast path; when none comes
// within a poll interval the workflow reads the row itself; past the phase's deadline, silence is a
// failure. Every wait is a durable step whose end is counted from recorded times, so a manager
// restarted mid-wait carries on waiting where it was.
import type { OperationOrder, OperationReading } from '../../protocol/safeflash-mib/operation-row.ts';
import type { Phase, TimeLimitName } from '../store/records.ts';
import type { RunContext } from './run-context.ts';
import type { Outcome } from './step-types.ts';
import type { FailCause, OperationState, OperationType } from '../../protocol/vocabulary.ts';
import { transferFailures, type TransferProtocol } from '../../protocol/transfer-contract.ts';
import type { Endpoint } from '../../protocol/endpoint.ts';
import type { Cause } from './causes.ts';

export type OperationResult = Outcome<{ via: 'notification' | 'polling' }>;

/**
 * The row is read when a round ends without a notification, the fallback for lost ones. Rounds double
 * from the poll interval up to this many times it (a minute by default): a device that reboots for a
 * minute is looked at three times rather than a dozen, and runs in flight cost the manager little.
 */
const longestRound = 12;
/**
 * Under a long time limit (a unit that takes an hour to reboot), rounds grow up to this share of it
 * instead: ten looks at most, so that ten thousand runs waiting on such devices leave the manager idle.
 */
const looksPerLimit = 10;
/** A row missing this many times in a row, from a device that answers, has been lost (power cut before it was saved). */
const missingLimit = 2;
/** How long a row read as ended still waits for the notification the device sends right after saving it. */
const notificationGraceSeconds = 2;

/** `limit`: which of the run's time limits bounds the wait (its seconds come from the run's options). */
export async function runOperation(ctx: RunContext, phase: Phase, index: number, order: OperationOrder, limit: TimeLimitName): Promise<OperationResult> {
  const { run, steps } = ctx;
  // A cancel request lets the operation under way finish, but holds back any new one save those that
  // bring the device back: startOperation says so.
  const started = await steps.startOperation(run.runId, run.deviceId, phase, index, order);
  if (!started.ok) return started;
  const timeoutSeconds = ctx.options.timeLimits[limit];
  const result = await offeredElsewhere(ctx, order, await awaitOperation(ctx, index, order.type, started.at, timeoutSeconds, limit));
  await ctx.record({
    phase,
    kind: 'operationFinished',
    actor: 'device',
    cause: result.ok ? null : result.cause,
    message: result.ok ? `${order.type} ${index} successful` : `${order.type} ${index}: ${result.message}`,
    detail: { index, type: order.type, ...(result.ok ? { via: result.via } : result.cause === 'silent' ? { limit, seconds: timeoutSeconds } : {}) },
  });
  if (result.ok && result.via === 'polling') {
    await ctx.record({
      phase,
      kind: 'pollingFallback',
      actor: 'manager',
      message: `no notification of operation ${index}'s end: read from its row`,
      detail: { index },
    });
  }
  return result;
}

/**
 * A transfer that failed on a server this manager does not have was offered by the manager that ran
 * the run before (it died or stopped, and this one took the run over): its files, its server, are
 * gone with it. That is not the device's failure, and the phase offers the file again from here.
 */
async function offeredElsewhere(ctx: RunContext, order: OperationOrder, result: OperationResult): Promise<OperationResult> {
  if (result.ok || !isTransferFailure(result.cause) || order.server === undefined || order.protocol === undefined) return result;
  return reissuedIfElsewhere(ctx, { protocol: order.protocol, server: order.server }, result);
}

/**
 * `failure`, or managerChanged when the file it is about was offered on another manager's server:
 * lost with the manager that ran the run before (an upload that reached it just before it stopped,
 * say), not by the device.
 */
export async function reissuedIfElsewhere<T extends { ok: false; cause: Cause; message: string }>(
  ctx: RunContext,
  offer: { protocol: TransferProtocol; server: Endpoint },
  failure: T,
): Promise<T | { ok: false; cause: 'managerChanged'; message: string }> {
  if (await ctx.steps.offeredHere(offer.protocol, offer.server)) return failure;
  const server = `${offer.server.address}:${offer.server.port}`;
  return {
    ok: false,
    cause: 'managerChanged',
    message: `${failure.message} (offered by the manager that ran the run before, at ${server}; offered again from here)`,
  };
}

const isTransferFailure = (cause: string): boolean => (transferFailures as readonly string[]).includes(cause);

async function awaitOperation(
  ctx: RunContext,
  index: number,
  type: OperationType,
  startedAt: number,
  timeoutSeconds: number,
  limit: TimeLimitName,
): Promise<OperationResult> {
  const { run, steps, timeouts } = ctx;
  const deadline = startedAt + timeoutSeconds * 1000;
  let now = startedAt;
  let last: OperationReading | undefined;
  let missing = 0;
  /** Boot notifications heard so far: one more is a hint to read the row now. */
  let boots = 0;
  /** A boot notification came: the device announced the end, even if its row is what we read. */
  let heardBoot = false;
  // Each round waits up to its length; boot hints can shorten rounds, so allow twice as many as the
  // shortest rounds would need.
  const rounds = 2 * Math.ceil(timeoutSeconds / timeouts.pollSeconds) + 2;
  const longestRoundSeconds = Math.max(timeouts.pollSeconds * longestRound, timeoutSeconds / looksPerLimit);
  for (let round = 0; round < rounds && now < deadline; round++) {
    const roundSeconds = Math.min(timeouts.pollSeconds * 2 ** round, longestRoundSeconds);
    const waitSeconds = Math.max(0.001, Math.min(roundSeconds, (deadline - now) / 1000));
    const signal = await steps.awaitSignal(run.runId, run.deviceId, index, now + waitSeconds * 1000, boots);
    if (signal.ended) return ended(signal.ended.state, signal.ended.failCause, signal.ended.failMessage, 'notification');
    if (signal.boots > boots) heardBoot = true;
    boots = signal.boots;
    const poll = await steps.pollOperation(run.runId, run.deviceId, index, type);
    now = poll.at;
    if (poll.reading) {
      missing = 0;
      last = poll.reading;
      if (poll.reading.state === 'successful' || poll.reading.state === 'failed') {
        // The device saves a row's end before it announces it, so a poll can read the end while the
        // notification is still on its way (a reboot that ends just as a wait times out, answering
        // the poll's retry): take it if it comes within the grace, and only then is it a fallback.
        const late = heardBoot ? undefined : await steps.awaitSignal(run.runId, run.deviceId, index, now + notificationGraceSeconds * 1000, boots);
        return ended(
          poll.reading.state,
          poll.reading.failCause,
          poll.reading.failMessage,
          heardBoot || late?.ended || (late && late.boots > boots) ? 'notification' : 'polling',
        );
      }
    } else if (poll.answered && ++missing >= missingLimit) {
      return { ok: false, cause: 'operationLost', message: `the device has no operation ${index} any more (it lost power or was reset)` };
    }
  }
  const stand = last ? `last seen ${last.state} at ${last.progress}%` : 'never seen running';
  return { ok: false, cause: 'silent', message: `${type} did not finish within the ${limit} time limit of ${timeoutSeconds} s (${stand})` };
}

function ended(state: OperationState, failCause: FailCause, failMessage: string, via: 'notification' | 'polling'): OperationResult {
  if (state === 'successful') return { ok: true, via };
  return { ok: false, cause: failCause === 'none' ? 'unknown' : failCause, message: failMessage || failCause };
}
