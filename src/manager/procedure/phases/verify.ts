// Verify: read back what runs. The new version from the new bank with the restored configuration, or
// a failure: a device that fell back or went silent has not been upgraded. A device that does not
// answer is read again until the run's verify time limit runs out; silence then is a failure.
import { DBOS } from '@dbos-inc/dbos-sdk';
import type { DeviceReading } from '../../../families/family.ts';
import { judgeVerify } from '../decisions.ts';
import type { AttemptResult } from '../phase-loop.ts';
import type { RunContext } from '../run-context.ts';
import type { ImageFacts } from '../step-types.ts';

/** `restoredDigest`: the configuration restored, null when the family keeps none. */
export async function verifyAttempt(
  ctx: RunContext,
  before: DeviceReading,
  image: ImageFacts,
  restoredDigest: string | null,
): Promise<AttemptResult<DeviceReading>> {
  const { run, steps, timeouts } = ctx;
  const seconds = ctx.options.timeLimits.verify;
  const deadline = (await DBOS.now()) + seconds * 1000;
  let now = await steps.readDevice(run.deviceId);
  // Bounded by count too, so that a clock that stands still cannot keep the run here.
  for (let look = 1; !now.ok && look <= Math.ceil(seconds / timeouts.pollSeconds) + 1 && (await DBOS.now()) < deadline; look++) {
    await DBOS.sleep(timeouts.pollSeconds * 1000);
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
  return wrong ? { ok: false, failure: wrong } : { ok: true, value: now.reading };
}
