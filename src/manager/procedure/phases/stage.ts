// Stage, then activate (DESIGN.md section 2d). The image goes into the device's inactive bank, verified
// there and not marked for boot, long before anything reboots; the run then waits, staged, until an
// operator (or its campaign, inside a window) activates it. A device rebooted meanwhile comes back on
// its running software. Just before activation the device is read and pre-checked again: a
// configuration changed since the backup is backed up again; any other failed check, or a device that
// keeps its calls past the idle wait, leaves the run staged (never half-done) until the next activation.
import type { DeviceCondition, DeviceReading } from '../../../families/family.ts';
import type { Actor } from '../../store/records.ts';
import type { Cause } from '../causes.ts';
import { failedChecks } from '../checks.ts';
import { cancelFailure, type Failure } from '../decisions.ts';
import { awaitOperator } from '../operator-wait.ts';
import { operationIndex } from '../operation-index.ts';
import { runOperation } from '../operation-wait.ts';
import { attemptFailed, type AttemptResult, inPhase, type PhaseResult } from '../phase-loop.ts';
import type { RunContext } from '../run-context.ts';
import type { ConfigFile, ImageFacts } from '../step-types.ts';
import { preCheckRound } from './checks.ts';
import { transferOrder } from './transfer-order.ts';

/** What the upgrade starts from once the run is activated. */
export interface Activation {
  /** The device as the activation found it. */
  reading: DeviceReading;
  condition: DeviceCondition;
  /** The backup the restore uses: the one taken before staging, or a new one if the configuration changed since. */
  original: ConfigFile | null;
  /** The image waits in the inactive bank (else the activation downloads it: a family that cannot stage). */
  staged: boolean;
}

type Stopped = { ok: false; failure: Failure; by: Actor };

/**
 * Stages the image and waits for the run's activation. `backUpAgain`: the backup phase once more, for
 * a configuration that changed while the run was staged.
 */
export async function stageAndAwaitActivation(
  ctx: RunContext,
  before: DeviceReading,
  image: ImageFacts,
  original: ConfigFile | null,
  backUpAgain: () => Promise<PhaseResult<ConfigFile>>,
): Promise<{ ok: true; value: Activation } | Stopped> {
  const staged = ctx.plan.stage.applies;
  if (staged) {
    const result = await inPhase(ctx, 'upgrade', ctx.run.policy.upgrade, (n) => stageAttempt(ctx, image, n), {
      subject: () => ({ text: `(staging ${image.version})`, detail: { staging: true, image: { sha256: image.sha256, version: image.version } } }),
    });
    if (!result.ok) return result;
  } else {
    await ctx.record({ phase: 'upgrade', kind: 'phaseSkipped', actor: 'manager', message: `nothing is staged: ${ctx.plan.stage.why}` });
  }
  const inactive = before.banks.find((bank) => bank.bank !== before.activeBank)?.bank ?? 'the inactive bank';
  let backup = original;
  for (let round = 0; ; round++) {
    const stopped = await awaitActivation(ctx, {
      phase: 'upgrade',
      actor: 'manager',
      message: staged
        ? `staged: ${image.version} waits in ${inactive}, not marked for boot; the device runs ${before.runningVersion} until the run is activated`
        : `staged: the device runs ${before.runningVersion}; ${image.version} is downloaded when the run is activated`,
      detail: { version: image.version, bank: staged ? inactive : null, round },
    });
    if (stopped) return stopped;

    const now = await ctx.steps.readDevice(ctx.run.deviceId);
    if (!now.ok) {
      await defer(ctx, `the device does not answer: ${now.message}`);
      continue;
    }
    const checked = await preCheckRound(ctx, 'beforeActivation', image, now.reading, {
      staged,
      ...(backup ? { backupDigest: backup.configDigest } : {}),
    });
    if (!checked.ok) {
      await defer(ctx, checked.failure.message);
      continue;
    }
    const failed = failedChecks(checked.value.results);
    const refusals = failed.filter((check) => check.name !== 'configUnchanged');
    if (refusals.length > 0) {
      await defer(ctx, refusals.map((check) => `${check.name}: ${check.message}`).join('; '));
      continue;
    }
    if (failed.length > 0) {
      // The customer changed the configuration while the run was staged: restoring the old backup would lose it.
      const again = await backUpAgain();
      if (!again.ok) {
        await defer(ctx, `the configuration changed since the backup and backing it up again failed: ${again.failure.message}`);
        continue;
      }
      backup = again.value;
    }
    if (ctx.options.whenIdle) {
      const idle = await untilIdle(ctx, checked.value.condition.activeCalls);
      if ('stop' in idle) return idle.stop;
      if (!idle.ok) {
        await defer(ctx, idle.message, 'notIdle');
        continue;
      }
    }
    return { ok: true, value: { reading: now.reading, condition: checked.value.condition, original: backup, staged } };
  }
}

const stageSlot = 0;

/** stageSoftware into the inactive bank, then read back: the bank holds the version, and the next boot is still the running bank. */
async function stageAttempt(ctx: RunContext, image: ImageFacts, attempt: number): Promise<AttemptResult<void>> {
  const { run, steps } = ctx;
  const offer = await steps.offerImage(image.sha256, ctx.protocol);
  const staged = await runOperation(ctx, 'upgrade', operationIndex(run.number, 'stage', attempt, stageSlot), transferOrder('stageSoftware', offer), 'download');
  if (!staged.ok) return attemptFailed('upgrade', staged.cause, `staging ${image.version}: ${staged.message}`);
  const after = await steps.readDevice(run.deviceId);
  if (!after.ok) return attemptFailed('upgrade', after.cause, `after staging: ${after.message}`);
  const { reading } = after;
  const bank = reading.banks.find((b) => b.bank !== reading.activeBank);
  if (bank?.state !== 'valid' || bank.version !== image.version)
    return attemptFailed(
      'upgrade',
      'mismatch',
      `after staging, the inactive bank holds ${bank ? `${bank.state} ${bank.version}`.trim() : 'nothing'}, not ${image.version}`,
    );
  if (reading.nextBootBank !== reading.activeBank)
    return attemptFailed('upgrade', 'mismatch', `after staging, ${reading.nextBootBank} is marked for the next boot: a reboot would start the new software`);
  return { ok: true, value: undefined };
}

/**
 * Parks the run as staged until an operator (or its campaign) activates it, or an operator aborts or
 * cancels it: undefined once activated. A staged run may wait for weeks: it costs nothing meanwhile.
 */
async function awaitActivation(ctx: RunContext, question: Parameters<RunContext['steps']['askOperator']>[1]): Promise<Stopped | undefined> {
  const answer = await awaitOperator(ctx, question, 'staged', { recheckSeconds: ctx.timeouts.stagedRecheckSeconds, looks: Number.POSITIVE_INFINITY });
  // Without a bound on the looks, the wait ends only with an answer.
  if (!answer) throw new Error(`run ${ctx.run.runId}: the wait for its activation ended without an answer`);
  if ('cancel' in answer) return { ok: false, failure: cancelFailure('upgrade', answer.cancel), by: answer.cancel };
  const { decision } = answer;
  await ctx.record({
    phase: 'upgrade',
    kind: 'decision',
    actor: decision.actor,
    message: decision.actor.startsWith('operator:')
      ? `${decision.actor.slice('operator:'.length)} answered ${decision.answer}`
      : `the campaign activates the run: its wave's turn, inside its window`,
    detail: { decisionId: decision.id, answer: decision.answer },
    state: 'running',
  });
  if (decision.answer === 'activate') return undefined;
  const by = decision.actor.replace(/^operator:/, '');
  return { ok: false, failure: { phase: 'upgrade', cause: 'cancelled', message: `aborted while staged by ${by}` }, by: decision.actor };
}

/** An activation that cannot go ahead now: the run says why and stays staged. */
async function defer(ctx: RunContext, why: string, cause: Cause = 'checkFailed'): Promise<void> {
  await ctx.record({ phase: 'upgrade', kind: 'activationDeferred', actor: 'manager', cause, message: `not activated: ${why}; the run stays staged` });
}

/**
 * Waits for the device's calls to end, looking every poll interval, up to the idle wait; a cancel
 * request ends the wait. `calls`: the calls at the pre-check (null: the device does not say).
 */
async function untilIdle(ctx: RunContext, calls: number | null): Promise<{ ok: true } | { ok: false; message: string } | { stop: Stopped }> {
  const { run, steps, timeouts } = ctx;
  if (calls === null || calls === 0) return { ok: true };
  await ctx.record({
    phase: 'upgrade',
    kind: 'waitingIdle',
    actor: 'manager',
    message: `waiting for ${calls} call${calls === 1 ? '' : 's'} in progress to end before activating`,
    detail: { calls },
  });
  const looks = Math.ceil(timeouts.idleWaitSeconds / timeouts.pollSeconds);
  for (let look = 0; look < looks; look++) {
    await ctx.durable.operatorWakeUp(timeouts.pollSeconds);
    const cancel = await steps.cancelRequest(run.runId);
    if (cancel) return { stop: { ok: false, failure: cancelFailure('upgrade', cancel), by: cancel } };
    const now = await steps.readCondition(run.deviceId);
    if (now.ok && now.condition.activeCalls === 0) return { ok: true };
  }
  return { ok: false, message: `the device still had calls in progress after ${timeouts.idleWaitSeconds} s` };
}
