// Full rollback: a run that cannot finish leaves the device as it found it. Back to the original bank
// (the previous software), then the original backup, step by step until a read-back shows the device
// as it was before the run; a few failures in a row end the rollback and the report says so.
//
// Not an inPhase phase, on purpose: a rollback is what a phase's policy ends in, so it cannot itself end
// in asking or aborting. It is no repeated attempt of one thing either: each step is chosen afresh from
// what the device reads back (nextRollbackStep), and it goes on, within a budget of failures, until the
// device is as it was found.
import type { DeviceReading } from '../../../families/family.ts';
import { fromBank, nextRollbackStep, type DeviceFacts } from '../decisions.ts';
import { operationIndex } from '../operation-index.ts';
import { runOperation } from '../operation-wait.ts';
import type { RunContext } from '../run-context.ts';
import type { ConfigFile } from '../step-types.ts';
import { transferOrder } from './transfer-order.ts';

export interface RollbackResult {
  restored: boolean;
  device: DeviceFacts | undefined;
  problem?: string;
}

const maxSteps = 8;
const maxFailures = 3;

/** `original`: the configuration backed up before the upgrade, null when the family keeps none. */
export async function rollBack(ctx: RunContext, before: DeviceReading, original: ConfigFile | null, backoffSeconds: number): Promise<RollbackResult> {
  const { run, steps } = ctx;
  const target: DeviceFacts = { runningVersion: before.runningVersion, activeBank: before.activeBank, configDigest: original?.configDigest ?? null };
  await ctx.record({
    phase: 'rollback',
    kind: 'phaseStarted',
    actor: 'policy',
    message: `rolling back to ${before.runningVersion}${fromBank(before)}${original ? ` with configuration ${original.sha256.slice(0, 12)}` : ''}`,
  });
  let failures = 0;
  let originalRestored = false;
  let device: DeviceFacts | undefined;
  let problem = 'too many steps';
  for (let step = 0; step < maxSteps && failures < maxFailures; step++) {
    const now = await steps.readDevice(run.deviceId);
    let result: { ok: true } | { ok: false; message: string };
    if (!now.ok) {
      result = now;
    } else {
      device = now.reading;
      const next = nextRollbackStep(target, now.reading, originalRestored);
      if (next === 'done') {
        await ctx.record({
          phase: 'rollback',
          kind: 'phaseSucceeded',
          actor: 'manager',
          message: `the device runs ${before.runningVersion}${original ? ' with its original configuration' : ''}`,
        });
        return { restored: true, device };
      }
      if (next === 'revert' && !ctx.plan.revert.applies) {
        // Nothing to try again: the family has no way back to order.
        problem = `the device runs ${now.reading.runningVersion}, and ${ctx.plan.revert.why}`;
        break;
      }
      const index = operationIndex(run.number, 'rollback', step, 0);
      if (next === 'revert' || !original) {
        result = await runOperation(ctx, 'rollback', index, { type: 'revertSoftware' }, 'boot');
      } else {
        result = await runOperation(ctx, 'rollback', index, transferOrder('restoreConfig', await steps.offerConfig(original.sha256, ctx.protocol)), 'restore');
        originalRestored ||= result.ok;
      }
    }
    if (!result.ok) {
      failures += 1;
      problem = result.message;
      if (backoffSeconds > 0) await ctx.durable.sleep(backoffSeconds * 1000);
    }
  }
  await ctx.record({ phase: 'rollback', kind: 'phaseFailed', actor: 'manager', cause: 'rollbackFailed', message: problem });
  return { restored: false, device, problem };
}
