// Backup (steps 100-120): the device uploads its configuration to a name issued for it; the file is
// checked (arrived, size, header, parses) and must be the configuration the device runs. No verified
// backup, no upgrade.
import { operationIndex } from '../operation-index.ts';
import { runOperation } from '../operation-wait.ts';
import { attemptFailed, type AttemptResult } from '../phase-loop.ts';
import type { RunContext } from '../run-context.ts';
import type { ConfigFile } from '../step-types.ts';
import { transferOrder } from './transfer-order.ts';
import { reissuedIfElsewhere } from '../operation-wait.ts';

export async function backupAttempt(ctx: RunContext, attempt: number): Promise<AttemptResult<ConfigFile>> {
  const { run, steps } = ctx;
  const offer = await steps.expectBackup(ctx.protocol);
  const index = operationIndex(run.number, 'backup', attempt, 0);
  const uploaded = await runOperation(ctx, 'backup', index, transferOrder('backupConfig', offer), 'backup');
  if (!uploaded.ok) return attemptFailed('backup', uploaded.cause, uploaded.message);
  const collected = await steps.collectBackup(offer, run.deviceId, run.runId, run.family);
  if (!collected.ok) {
    const failure = collected.cause === 'missing' ? await reissuedIfElsewhere(ctx, offer, collected) : collected;
    return attemptFailed('backup', failure.cause, `the backup is not usable: ${failure.message}`);
  }
  const now = await steps.readDevice(run.deviceId);
  if (!now.ok) return attemptFailed('backup', now.cause, `cannot compare the backup with the running configuration: ${now.message}`);
  // A family whose device reports no digest cannot be compared here: its restore is checked by a second backup.
  if (now.reading.configDigest !== null && now.reading.configDigest !== collected.config.configDigest) {
    return attemptFailed('backup', 'mismatch', 'the backup differs from the configuration the device runs');
  }
  return { ok: true, value: collected.config };
}
