// Verify: read back what runs. The new version from the new bank with the restored configuration, or
// a failure: a device that fell back or went silent has not been upgraded; then the post-checks, a
// device that serves less than before (a port down, lines unregistered, alarms raised) fails too. A device that does not
// answer is read again until the run's verify time limit runs out; silence then is a failure.
import type { DeviceCondition, DeviceReading } from '../../../families/family.ts';
import { postCheckRound } from './checks.ts';
import { readWithin } from '../device-answer.ts';
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
  const seconds = ctx.options.timeLimits.verify;
  const now = await readWithin(ctx, seconds);
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
