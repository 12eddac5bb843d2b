// Preflight: read the device and check that the image is for it, and not already what it runs. Changes
// nothing; a failure stops the run.
//
// Not an inPhase phase, on purpose: preflight has no policy. There is nothing to retry or to ask an
// operator about before the run has touched the device (a device that does not answer is tried again
// by whoever started the run, e.g. a campaign's offline retries), and the run must not hold a device's
// active-run slot waiting for a decision about a device it has not changed.
import type { DeviceReading } from '../../../families/family.ts';
import { alreadyInstalled, type Failure } from '../decisions.ts';
import type { AttemptResult } from '../phase-loop.ts';
import type { RunContext } from '../run-context.ts';
import type { ImageFacts } from '../step-types.ts';

export async function preflight(ctx: RunContext, image: ImageFacts | null): Promise<AttemptResult<DeviceReading>> {
  const { run, steps } = ctx;
  await ctx.record({ phase: 'preflight', kind: 'phaseStarted', actor: 'manager', message: 'preflight started' });
  const read = await steps.readDevice(run.deviceId);
  const failure: Failure | undefined = !read.ok
    ? { phase: 'preflight', cause: read.cause, message: read.message }
    : image
      ? imageMisfit(image, run, read.reading)
      : undefined;
  if (failure || !read.ok) {
    const stop = failure ?? { phase: 'preflight', cause: 'unknown', message: 'no reading' };
    await ctx.record({ phase: 'preflight', kind: 'phaseFailed', actor: 'manager', cause: stop.cause, message: stop.message });
    return { ok: false, failure: stop };
  }
  const r = read.reading;
  await ctx.record({
    phase: 'preflight',
    kind: 'phaseSucceeded',
    actor: 'manager',
    message: `${r.model} ${r.serial} runs ${r.runningVersion} from ${r.activeBank}, configuration format ${r.configFormat}`,
    detail: {
      model: r.model,
      serial: r.serial,
      runningVersion: r.runningVersion,
      activeBank: r.activeBank,
      configFormat: r.configFormat,
      configDigest: r.configDigest,
    },
  });
  return { ok: true, value: r };
}

/** Why the image cannot go onto the device: another family's, or another model's. */
function imageMisfit(image: ImageFacts, run: RunContext['run'], reading: DeviceReading): Failure | undefined {
  const imageFamily = image.family ?? 'safeflash';
  const deviceFamily = run.family ?? 'safeflash';
  if (imageFamily !== deviceFamily) {
    const what = imageFamily === 'safeflash' ? "the reference IAD's own software" : `for ${imageFamily} devices`;
    const needs =
      deviceFamily === 'safeflash'
        ? "the reference IAD's own software"
        : `its vendor's file in a manifest signed for ${deviceFamily} (image pack --family ${deviceFamily})`;
    return { phase: 'preflight', cause: 'wrongFamily', message: `the image is ${what}; the device is a ${deviceFamily} device and takes ${needs}` };
  }
  if (reading.model !== image.model)
    return { phase: 'preflight', cause: 'wrongModel', message: `the image is for ${image.model}, the device is a ${reading.model}` };
  return undefined;
}

/**
 * Whether the run has nothing to do: the device already runs the image (alreadyInstalled). With the
 * run's reinstall option it goes on, and the timeline says what that costs: the other bank, which
 * holds the way back, is overwritten.
 */
export async function alreadyUpToDate(ctx: RunContext, image: ImageFacts, reading: DeviceReading): Promise<boolean> {
  if (!alreadyInstalled(image, reading)) return false;
  if (!ctx.options.reinstall) return true;
  const other = reading.banks.find((bank) => bank.bank !== reading.activeBank);
  const holding = other && other.state === 'valid' && other.version !== '' ? `holding ${other.version}, the way back` : 'holding no bootable image';
  await ctx.record({
    phase: 'preflight',
    kind: 'reinstall',
    actor: 'manager',
    cause: 'reinstall',
    message: `reinstalling ${image.version}, which the device already runs: the other bank (${other?.bank ?? 'the inactive bank'}, ${holding}) will be overwritten`,
    detail: { version: image.version, overwrittenBank: other?.bank ?? null, overwrittenVersion: other?.version ?? null },
  });
  return false;
}
