// Verify: read back what runs. The new version from the new bank with the restored configuration, or
// a failure: a device that fell back or went silent has not been upgraded; then the post-checks, a
// device that serves less than before (a port down, lines unregistered, alarms raised) fails too. A device that does not
// answer is read again until the run's verify time limit runs out; silence then is a failure.
import type { DeviceCondition, DeviceReading } from '../../../families/family.ts';
import { postCheckRound } from './checks.ts';
import { judgeVerify } from '../decisions.ts';
import type { AttemptResult } from '../phase-loop.ts';
import type { RunContext } from '../run-context.ts';
import type { ImageFacts } from '../step-types.ts';

/**
 * `restoredDigest`: the configuration restored, null when the family keeps none. `condition`: what the
 * device served before the upgrade, which the post-checks compare with what it serves now.
 */
export async function verifyAttempt(
  ctx: RunContext,
  before: DeviceReading,
  image: ImageFacts,
  restoredDigest: string | null,
  condition: DeviceCondition,
): Promise<AttemptResult<DeviceReading>> {
  const { run, steps, timeouts } = ctx;
  const seconds = ctx.options.timeLimits.verify;
  let now = await steps.readDevice(run.deviceId);
  // A device that answers at once (nearly always) costs no durable clock; one that does not is read
  // again until the limit, counted from its first silence. Bounded by count too, so that a clock that
  // stands still cannot keep the run here.
  const deadline = now.ok ? 0 : (await ctx.durable.now()) + seconds * 1000;
  for (let look = 1; !now.ok && look <= Math.ceil(seconds / timeouts.pollSeconds) + 1 && (await ctx.durable.now()) < deadline; look++) {
    await ctx.durable.sleep(timeouts.pollSeconds * 1000);
    now = await steps.readDevice(run.deviceId);
  }
  if (!now.ok) {
    return {
      ok: false,
      failure: {
        phase: 'verify',
        cause: 'silent',
        message: `the device did not answer within the verify time limit of ${seconds} s: ${now.message}`,
        detail: { limit: 'verify', seconds },
      },
    };
  }
  const wrong = judgeVerify(before, image.version, restoredDigest, now.reading);
  if (wrong) return { ok: false, failure: wrong };
  const worse = await postCheckRound(ctx, condition);
  return worse ? { ok: false, failure: worse } : { ok: true, value: now.reading };
}
