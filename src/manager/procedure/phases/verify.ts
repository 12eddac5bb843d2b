// Verify: read back what runs. The new version from the new bank with the restored configuration, or
// a failure: a device that fell back or went silent has not been upgraded.
import type { DeviceReading } from '../../device-driver.ts';
import { judgeVerify } from '../decisions.ts';
import type { AttemptResult } from '../phase-loop.ts';
import type { RunContext } from '../run-context.ts';
import type { ConfigFile, ImageFacts } from '../step-types.ts';

export async function verifyAttempt(ctx: RunContext, before: DeviceReading, image: ImageFacts, restored: ConfigFile): Promise<AttemptResult<DeviceReading>> {
  const now = await ctx.steps.readDevice(ctx.run.deviceId);
  if (!now.ok) return { ok: false, failure: { phase: 'verify', cause: 'silent', message: `the device does not answer: ${now.message}` } };
  const wrong = judgeVerify(before, image.version, restored.configDigest, now.reading);
  return wrong ? { ok: false, failure: wrong } : { ok: true, value: now.reading };
}
