// Upgrade (steps 130-150): the image goes into the inactive bank, the device reboots into it (unless it
// applies software live), and must come back running the new version from that bank. A device back on
// its original bank has fallen back: a failure, never a success. After a failed attempt, step 160
// puts the device back on its original bank when the new software runs. A run that staged the image
// (phases/stage.ts) activates it instead of downloading it, on its first attempt; a retry downloads
// it again, since the staged copy is what just failed.
import type { DeviceReading } from '../../../families/family.ts';
import type { Bank } from '../../../protocol/vocabulary.ts';
import { afterFailedUpgrade, fromBank, judgeReboot, type Failure } from '../decisions.ts';
import { readWithin } from '../device-answer.ts';
import { operationIndex } from '../operation-index.ts';
import { runOperation } from '../operation-wait.ts';
import { attemptFailed, type AttemptResult } from '../phase-loop.ts';
import type { RunContext } from '../run-context.ts';
import type { ImageFacts, Outcome } from '../step-types.ts';
import { transferOrder } from './transfer-order.ts';

export interface Installed {
  image: ImageFacts;
  reading: DeviceReading;
}

const slots = { download: 0, reboot: 1, revertAfterFailure: 2, revertBeforeRetry: 3 };

/** `staged`: the image waits in the inactive bank, verified and not marked for boot. */
export async function upgradeAttempt(
  ctx: RunContext,
  before: DeviceReading,
  image: ImageFacts,
  attempt: number,
  staged = false,
): Promise<AttemptResult<Installed>> {
  const { run, steps } = ctx;
  const index = (slot: number) => operationIndex(run.number, 'upgrade', attempt, slot);
  if (attempt > 0 && ctx.plan.revert.applies) {
    // Writing the inactive bank while the new software runs would overwrite the previous software.
    const back = await returnToOriginalBank(ctx, before, index(slots.revertBeforeRetry), false);
    if (!back.ok) return attemptFailed('upgrade', back.cause, `not retrying before the device is back on ${before.activeBank}: ${back.message}`);
  } else if (attempt > 0) {
    // A device that cannot be ordered back may have finished the upgrade by itself since (a modem that
    // tried its download again after a power cut): then it is done, and downloading again would cost
    // another outage for nothing.
    const now = await steps.readDevice(run.deviceId);
    if (now.ok && now.reading.runningVersion === image.version) {
      await ctx.record({
        phase: 'upgrade',
        kind: 'bootConfirmed',
        actor: 'manager',
        message: `the device came up running ${image.version} by itself after the failed attempt: the upgrade is done`,
        detail: { runningVersion: image.version },
      });
      return { ok: true, value: { image, reading: now.reading } };
    }
  }
  let rebootFailure: Failure | undefined;
  if (staged) {
    // The staged bank is marked and booted in one operation (applied in place where no reboot is needed).
    const activation = await runOperation(ctx, 'upgrade', index(slots.reboot), { type: 'activateSoftware' }, 'boot');
    if (!activation.ok) rebootFailure = { phase: 'upgrade', cause: activation.cause, message: `activation of ${image.version}: ${activation.message}` };
  } else {
    const offer = await steps.offerImage(image.sha256, ctx.protocol);
    const download = await runOperation(ctx, 'upgrade', index(slots.download), transferOrder('downloadSoftware', offer), 'download');
    if (!download.ok) {
      const failure: Failure = { phase: 'upgrade', cause: download.cause, message: `download of ${image.version}: ${download.message}` };
      // A device that cannot be ordered back starts its new software by itself (a modem reboots at the
      // end of its download): its download may be reported failed (power lost during that reboot) while
      // the new software came up. What runs decides, as after a failed reboot order.
      if (ctx.plan.revert.applies) return attemptFailed('upgrade', failure.cause, failure.message);
      rebootFailure = failure;
    } else if (before.rebootRequired) {
      const reboot = await runOperation(ctx, 'upgrade', index(slots.reboot), { type: 'reboot', ...bootBankOf(otherBank(before.activeBank)) }, 'boot');
      if (!reboot.ok) rebootFailure = { phase: 'upgrade', cause: reboot.cause, message: `reboot into ${image.version}: ${reboot.message}` };
    }
  }
  // Read what runs even after a failed reboot order: the device may have come up on the new software.
  // One still silent (booting, or its power back a moment later) has until the boot limit to answer.
  const after = await readWithin(ctx, ctx.options.timeLimits.boot);
  if (!after.ok) return attemptFailed('upgrade', rebootFailure?.cause ?? after.cause, rebootFailure?.message ?? `after the upgrade: ${after.message}`);
  const verdict = judgeReboot(before, image.version, rebootFailure, after.reading);
  if (!verdict.ok) return attemptFailed('upgrade', verdict.failure.cause, verdict.failure.message);
  if (verdict.despite) {
    await ctx.record({
      phase: 'upgrade',
      kind: 'bootConfirmed',
      actor: 'manager',
      cause: verdict.despite.cause,
      message: `${verdict.despite.message}; yet the device came back running ${after.reading.runningVersion} from ${after.reading.activeBank}: the new software booted, the run goes on`,
      detail: { rebootCause: verdict.despite.cause, runningVersion: after.reading.runningVersion, activeBank: after.reading.activeBank },
    });
  }
  return { ok: true, value: { image, reading: after.reading } };
}

/** Step 160 after a failed attempt. */
export async function revertAfterFailedUpgrade(ctx: RunContext, before: DeviceReading, attempt: number): Promise<void> {
  await returnToOriginalBank(ctx, before, operationIndex(ctx.run.number, 'upgrade', attempt, slots.revertAfterFailure), true);
}

/**
 * Reverts when the device runs the bank that was inactive before the upgrade. Says so in the
 * timeline; with `announceNothing`, also when there is nothing to revert.
 */
async function returnToOriginalBank(ctx: RunContext, before: DeviceReading, index: number, announceNothing: boolean): Promise<Outcome> {
  const { run, steps } = ctx;
  const now = await steps.readDevice(run.deviceId);
  const action = afterFailedUpgrade(before, now.ok ? now.reading : undefined);
  if (action === 'unknown' || !now.ok) {
    const message = `cannot tell which bank runs: ${now.ok ? 'no reading' : now.message}`;
    await ctx.record({ phase: 'upgrade', kind: 'revert', actor: 'policy', cause: 'silent', message });
    return { ok: false, cause: 'silent', message };
  }
  if (action === 'nothingToRevert') {
    if (announceNothing) {
      await ctx.record({
        phase: 'upgrade',
        kind: 'revert',
        actor: 'policy',
        cause: 'nothingToRevert',
        message: `nothing to revert: the device runs ${now.reading.runningVersion}${fromBank(now.reading)}, as before the upgrade`,
      });
    }
    return { ok: true };
  }
  if (!ctx.plan.revert.applies) {
    const message = `no revert: the device runs ${now.reading.runningVersion}, and ${ctx.plan.revert.why}`;
    await ctx.record({ phase: 'upgrade', kind: 'revert', actor: 'policy', cause: 'notSupported', message });
    return { ok: true };
  }
  await ctx.record({
    phase: 'upgrade',
    kind: 'revert',
    actor: 'policy',
    cause: 'newSoftwareRunning',
    message: `reverting: the device runs ${now.reading.runningVersion} from ${now.reading.activeBank}; going back to ${before.runningVersion} on ${before.activeBank}`,
  });
  const reverted = await runOperation(ctx, 'upgrade', index, { type: 'revertSoftware', ...bootBankOf(before.activeBank) }, 'boot');
  if (!reverted.ok) return reverted;
  const after = await steps.readDevice(run.deviceId);
  if (!after.ok) return after;
  if (after.reading.activeBank !== before.activeBank) {
    return { ok: false, cause: 'mismatch', message: `after the revert the device still runs ${after.reading.runningVersion} from ${after.reading.activeBank}` };
  }
  return { ok: true };
}

/** The bank the new software went into: the one not running before the upgrade. */
function otherBank(bank: Bank | null): Bank | null {
  return bank === null ? null : bank === 'bankA' ? 'bankB' : 'bankA';
}

/** An order names the bank it boots when the device said which bank ran (see OperationOrder.bootBank). */
function bootBankOf(bank: Bank | null): { bootBank?: Bank } {
  return bank === null ? {} : { bootBank: bank };
}
