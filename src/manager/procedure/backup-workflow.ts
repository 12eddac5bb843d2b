// An on-demand backup: preflight and the backup phase of an upgrade run, nothing else.
import type { RunOutcome } from '../store/records.ts';
import { inPhase } from './phase-loop.ts';
import { backupAttempt } from './phases/backup.ts';
import { preflight } from './phases/preflight.ts';
import type { RunContext } from './run-context.ts';
import { end } from './run-end.ts';

export async function backupRun(ctx: RunContext): Promise<RunOutcome> {
  const checked = await preflight(ctx, null);
  if (!checked.ok) return end(ctx, 'preflight', { kind: 'stopped', failure: checked.failure, by: 'manager', device: undefined, backupSha256: null });
  const { configuration } = ctx.plan;
  if (!configuration.applies) {
    const failure = { phase: 'backup' as const, cause: 'notSupported' as const, message: configuration.why };
    return end(ctx, 'backup', { kind: 'stopped', failure, by: 'manager', device: checked.value, backupSha256: null });
  }
  const backup = await inPhase(ctx, 'backup', ctx.run.policy.backup, (n) => backupAttempt(ctx, n));
  if (!backup.ok) return end(ctx, 'backup', { kind: 'stopped', failure: backup.failure, by: backup.by, device: checked.value, backupSha256: null });
  return end(ctx, 'backup', {
    kind: 'verified',
    newSoftware: false,
    device: checked.value,
    backupSha256: backup.value.sha256,
    summary: `configuration format ${backup.value.configFormat} backed up and verified as ${backup.value.sha256.slice(0, 12)}`,
  });
}
