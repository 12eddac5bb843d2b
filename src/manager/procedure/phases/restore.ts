// Restore (steps 170-190): the device downloads the configuration and applies it; the configuration
// it then runs must be the one restored. A device that refuses the format gets the configuration
// migrated again to the format it says it wants, on the next attempt.
import type { DeviceReading } from '../../../families/family.ts';
import { restoreNeedsRemigration } from '../decisions.ts';
import { operationIndex } from '../operation-index.ts';
import { runOperation } from '../operation-wait.ts';
import { attemptFailed, type AttemptContext, type AttemptResult } from '../phase-loop.ts';
import type { RunContext } from '../run-context.ts';
import type { ConfigFile } from '../step-types.ts';
import { migrateConfig } from './migrate.ts';
import { transferOrder } from './transfer-order.ts';

export interface RestorePlan {
  /** The configuration to restore (the backup, or its migration). */
  config: ConfigFile;
  /** What a re-migration starts from: the original backup. */
  original: ConfigFile;
  model: string;
  /** The device converts the configuration to this format itself (convertConfig): the manager then checks what it made. */
  convertTo?: number;
}

export async function restoreAttempt(
  ctx: RunContext,
  attempt: number,
  plan: RestorePlan,
  { supplied, previous }: AttemptContext,
): Promise<AttemptResult<ConfigFile>> {
  const { run, steps } = ctx;
  let config = supplied.config ?? plan.config;
  if (restoreNeedsRemigration(previous)) {
    const now = await steps.readDevice(run.deviceId);
    if (!now.ok) return attemptFailed('restore', now.cause, `cannot ask the device which format it wants: ${now.message}`);
    const format = wantedFormat(now.reading);
    if (format === null) return attemptFailed('restore', 'configFormatMismatch', 'the device refused the format and does not say which one it wants');
    const remigrated = await migrateConfig(
      ctx,
      'restore',
      supplied.config ?? plan.original,
      plan.model,
      format,
      're-migrated after the device refused the format',
    );
    if (!remigrated.ok) return attemptFailed('restore', remigrated.failure.cause, remigrated.failure.message);
    config = remigrated.value;
  }
  const offer = await steps.offerConfig(config.sha256, ctx.protocol);
  const index = operationIndex(run.number, 'restore', attempt, 0);
  const applied = await runOperation(ctx, 'restore', index, transferOrder(plan.convertTo !== undefined ? 'convertConfig' : 'restoreConfig', offer), 'restore');
  if (!applied.ok) return attemptFailed('restore', applied.cause, applied.message);
  if (plan.convertTo !== undefined) return checkConversion(ctx, attempt, config, plan.convertTo);
  if (ctx.plan.restoreCheck === 'secondBackup') return readBack(ctx, attempt, config);
  const now = await steps.readDevice(run.deviceId);
  if (!now.ok) return attemptFailed('restore', now.cause, `after the restore: ${now.message}`);
  if (now.reading.configDigest !== config.configDigest) {
    return attemptFailed(
      'restore',
      'mismatch',
      `the device runs configuration ${(now.reading.configDigest ?? 'none').slice(0, 12)}, not the restored ${config.configDigest.slice(0, 12)}`,
    );
  }
  return { ok: true, value: config };
}

/**
 * The device converted the configuration itself: back up what it runs now, which must be a valid
 * configuration in the format asked for, and the one the device reports running. The run records that
 * the device converted, and what it made.
 */
async function checkConversion(ctx: RunContext, attempt: number, source: ConfigFile, format: number): Promise<AttemptResult<ConfigFile>> {
  const { run, steps } = ctx;
  const offer = await steps.expectBackup(ctx.protocol);
  const uploaded = await runOperation(ctx, 'restore', operationIndex(run.number, 'restore', attempt, 1), transferOrder('backupConfig', offer), 'backup');
  if (!uploaded.ok) return attemptFailed('restore', uploaded.cause, `the converted configuration could not be read back: ${uploaded.message}`);
  const made = await steps.collectBackup(offer, run.deviceId, run.runId, run.family);
  if (!made.ok) return attemptFailed('restore', made.cause, `the device's conversion is not a valid configuration: ${made.message}`);
  if (made.config.configFormat !== format) {
    return attemptFailed('restore', 'mismatch', `the device converted to format ${made.config.configFormat}, not ${format}`);
  }
  const now = await steps.readDevice(run.deviceId);
  if (!now.ok) return attemptFailed('restore', now.cause, `after the conversion: ${now.message}`);
  if (now.reading.configDigest !== null && now.reading.configDigest !== made.config.configDigest) {
    return attemptFailed('restore', 'mismatch', 'the device runs another configuration than the one it reads back');
  }
  await ctx.record({
    phase: 'restore',
    kind: 'migration',
    actor: 'device',
    message: `the device converted ${source.sha256.slice(0, 12)} from format ${source.configFormat} to ${format} itself; read back as ${made.config.sha256.slice(0, 12)}, a valid format ${format} configuration; ${source.sha256.slice(0, 12)} kept unchanged`,
    detail: { converter: 'device', from: source.sha256, to: made.config.sha256, fromFormat: source.configFormat, toFormat: format },
  });
  return { ok: true, value: made.config };
}

/**
 * For a family whose device reports no configuration digest: back the configuration up again and
 * compare it with the one restored, leaving out the lines that change by themselves. The comparison,
 * and what it ignored, go into the run's timeline.
 */
async function readBack(ctx: RunContext, attempt: number, config: ConfigFile): Promise<AttemptResult<ConfigFile>> {
  const { run, steps } = ctx;
  const offer = await steps.expectBackup(ctx.protocol);
  const index = operationIndex(run.number, 'restore', attempt, 1);
  const uploaded = await runOperation(ctx, 'restore', index, transferOrder('backupConfig', offer), 'backup');
  if (!uploaded.ok) return attemptFailed('restore', uploaded.cause, `the restored configuration could not be read back: ${uploaded.message}`);
  const again = await steps.collectBackup(offer, run.deviceId, run.runId, run.family);
  if (!again.ok) return attemptFailed('restore', again.cause, `the configuration read back is not usable: ${again.message}`);
  const comparison = await steps.compareConfigs(config.sha256, again.config.sha256, run.family ?? 'safeflash');
  const ignored =
    comparison.ignored.length === 0 ? 'no line' : `${comparison.ignored.length} line${comparison.ignored.length > 1 ? 's' : ''} that change by themselves`;
  await ctx.record({
    phase: 'restore',
    kind: 'readBack',
    actor: 'manager',
    cause: comparison.equal ? null : 'mismatch',
    message: comparison.equal
      ? `the configuration read back (${again.config.sha256.slice(0, 12)}) equals the one restored, leaving out ${ignored}`
      : `the configuration read back (${again.config.sha256.slice(0, 12)}) differs from the one restored: ${comparison.differing.slice(0, 4).join(' | ')}`,
    detail: { restored: config.sha256, readBack: again.config.sha256, ignored: comparison.ignored, differing: comparison.differing },
  });
  if (!comparison.equal) return attemptFailed('restore', 'mismatch', 'the configuration read back differs from the one restored');
  return { ok: true, value: config };
}

/** The configuration format the running software reads, as the device reports it for its active bank. */
function wantedFormat(reading: DeviceReading): number | null {
  return reading.banks.find((bank) => bank.bank === reading.activeBank)?.configFormat ?? reading.configFormat;
}
