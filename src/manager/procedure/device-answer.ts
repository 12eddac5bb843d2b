// Silence is failure only once a time limit has run out: a device that does not answer (rebooting, its
// power back a moment later) is read again every poll interval until the limit, counted from its first
// silence. Used wherever a phase reads the device right after something that may have taken it away.
import type { RunContext } from './run-context.ts';
import type { Reading } from './step-types.ts';

export async function readWithin(ctx: RunContext, seconds: number): Promise<Reading> {
  const { run, steps, timeouts } = ctx;
  let now = await steps.readDevice(run.deviceId);
  // A device that answers at once (nearly always) costs no durable clock. Bounded by count too, so that
  // a clock that stands still cannot keep the run here.
  const deadline = now.ok ? 0 : (await ctx.durable.now()) + seconds * 1000;
  for (let look = 1; !now.ok && look <= Math.ceil(seconds / timeouts.pollSeconds) + 1 && (await ctx.durable.now()) < deadline; look++) {
    await ctx.durable.sleep(timeouts.pollSeconds * 1000);
    now = await steps.readDevice(run.deviceId);
  }
  return now;
}
