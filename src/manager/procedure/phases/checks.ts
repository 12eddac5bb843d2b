// The rounds of checks a run makes (procedure/checks.ts judges them): pre-checks before the first change
// and again before activation, post-checks after verify. Each round reads the device's condition and is
// one line of the timeline, every verdict in its detail: the run's report shows them as a table.
import type { DeviceCondition, DeviceReading } from '../../../families/family.ts';
import { type CheckResult, type CheckRound, checksSummary, failedChecks, runPostChecks, runPreChecks } from '../checks.ts';
import type { Failure } from '../decisions.ts';
import type { AttemptResult } from '../phase-loop.ts';
import type { RunContext } from '../run-context.ts';
import type { ImageFacts } from '../step-types.ts';

export interface PreChecked {
  condition: DeviceCondition;
  results: CheckResult[];
}

/** A round of pre-checks; fails only when the device's condition cannot be read. The caller judges the verdicts. */
export async function preCheckRound(
  ctx: RunContext,
  round: Exclude<CheckRound, 'afterUpgrade'>,
  image: ImageFacts,
  reading: DeviceReading,
  context: { backupDigest?: string; staged?: boolean } = {},
): Promise<AttemptResult<PreChecked>> {
  const phase = round === 'beforeChanges' ? 'preflight' : 'upgrade';
  const condition = await ctx.steps.readCondition(ctx.run.deviceId);
  if (!condition.ok) return { ok: false, failure: { phase, cause: condition.cause, message: `cannot read the device's condition: ${condition.message}` } };
  const imageInStore = await ctx.steps.imageInStore(image.sha256);
  const results = runPreChecks({ image, reading, condition: condition.condition, imageInStore, ...context }, ctx.options.skipChecks);
  await recordRound(ctx, phase, round, results);
  return { ok: true, value: { condition: condition.condition, results } };
}

/** The post-checks: what was up before is still up. The failure names every check that got worse. */
export async function postCheckRound(ctx: RunContext, before: DeviceCondition): Promise<Failure | undefined> {
  const after = await ctx.steps.readCondition(ctx.run.deviceId);
  if (!after.ok) return { phase: 'verify', cause: after.cause, message: `cannot read the device's condition after the upgrade: ${after.message}` };
  const results = runPostChecks(before, after.condition, ctx.options.skipChecks);
  const message = await recordRound(ctx, 'verify', 'afterUpgrade', results);
  return failedChecks(results).length > 0 ? { phase: 'verify', cause: 'checkFailed', message } : undefined;
}

/** One timeline line per round; returns its message. */
async function recordRound(ctx: RunContext, phase: 'preflight' | 'upgrade' | 'verify', round: CheckRound, results: CheckResult[]): Promise<string> {
  const message = checksSummary(round, results);
  await ctx.record({
    phase,
    kind: 'checks',
    actor: 'manager',
    cause: failedChecks(results).length > 0 ? 'checkFailed' : null,
    message,
    detail: { round, checks: results },
  });
  return message;
}
