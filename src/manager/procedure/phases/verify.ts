// Verify: read back what runs. The new version from the new bank with the restored configuration, or
// a failure: a device that fell back or went silent has not been upgraded.
import type { DeviceReading } from '../../device-driver.ts';
import { judgeVerify } from '../decisions.ts';
import type { AttemptResult } from '../phase-loop.ts';
import type { RunContext } from '../run-context.ts';
import type { ConfigFile, ImageFacts } from '../step-types.ts';

export async function verifyAttempt(ctx: RunContext, before: DeviceReading, image: ImageFacts, restored: ConfigFile): Promise<AttemptResult<DeviceReading>> {
  const now = await ctx.steps.readDevice(ctx.run.deviceId);
  const wrong = judgeVerify(before, image.version, restored.configDigest, now.ok ? now.reading : undefined);
  if (wrong) return { ok: false, failure: now.ok ? wrong : { ...wrong, message: `${wrong.message}: ${now.message}` } };
  return { ok: true, value: (now as { reading: DeviceReading }).reading };
}
