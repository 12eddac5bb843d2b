// One upgrade run, phase after phase as DESIGN.md section 1 lays them out. Each phase is an attempt
// under its policy (phase-loop.ts); a run that cannot finish rolls the device back to how it found it,
// unless an operator chose to keep the new software. Everything a resumed run needs comes from its
// recorded steps: nothing lives only in this process's memory.
import type { Phase, RunOutcome } from '../store/records.ts';
import { needsMigration } from './decisions.ts';
import { end } from './run-end.ts';
import { cancelPoint, inPhase, type PhaseResult } from './phase-loop.ts';
import { backupAttempt } from './phases/backup.ts';
import { migrateConfig } from './phases/migrate.ts';
import { alreadyUpToDate, preflight } from './phases/preflight.ts';
import { restoreAttempt } from './phases/restore.ts';
import { rollBack } from './phases/rollback.ts';
import { revertAfterFailedUpgrade, upgradeAttempt } from './phases/upgrade.ts';
import { verifyAttempt } from './phases/verify.ts';
import { preCheckRound } from './phases/checks.ts';
import { stageAndAwaitActivation } from './phases/stage.ts';
import { failedChecks } from './checks.ts';
import { skippedSteps } from './run-plan.ts';
import type { DeviceReading } from '../../families/family.ts';
import type { RunContext } from './run-context.ts';
import type { ConfigFile } from './step-types.ts';

export async function upgradeRun(ctx: RunContext): Promise<RunOutcome> {
  const { run } = ctx;
  const policy = run.policy;
  if (!run.image) throw new Error(`run ${run.runId} has no image`);

  // preflight: read the device, check the image fits it; a failure changes nothing.
  const checked = await preflight(ctx, run.image);
  if (!checked.ok) return end(ctx, 'preflight', { kind: 'stopped', failure: checked.failure, by: 'manager', device: undefined, backupSha256: null });
  const before = checked.value;
  // Already running the image: installing it again would cost an outage and the way back, unless asked to.
  if (await alreadyUpToDate(ctx, run.image, before))
    return end(ctx, 'preflight', { kind: 'upToDate', device: before, version: run.image.version, backupSha256: null });

  const skipped = skippedSteps(ctx.plan);
  if (skipped.length > 0) {
    await ctx.record({
      phase: 'preflight',
      kind: 'plan',
      actor: 'manager',
      message: skipped.join('; '),
      detail: { family: run.family ?? 'safeflash', skipped },
    });
  }

  // pre-checks: before the first change; a check that fails stops the run with nothing changed.
  const ready = await preCheckRound(ctx, 'beforeChanges', run.image, before);
  if (!ready.ok) return end(ctx, 'preflight', { kind: 'stopped', failure: ready.failure, by: 'manager', device: before, backupSha256: null });
  const refused = failedChecks(ready.value.results);
  if (refused.length > 0) {
    const message = refused.map((check) => `${check.name}: ${check.message}`).join('; ');
    return end(ctx, 'preflight', {
      kind: 'stopped',
      failure: { phase: 'preflight', cause: 'checkFailed', message },
      by: 'manager',
      device: before,
      backupSha256: null,
    });
  }
  let condition = ready.value.condition;

  // backup: no verified backup, no upgrade (for every family that holds its own configuration).
  const backUp = () => inPhase(ctx, 'backup', policy.backup, (n) => backupAttempt(ctx, n));
  let original: ConfigFile | null = null;
  if (ctx.plan.configuration.applies) {
    const backup = await backUp();
    if (!backup.ok) return end(ctx, 'backup', { kind: 'stopped', failure: backup.failure, by: backup.by, device: before, backupSha256: null });
    original = backup.value;
  } else {
    await skipPhase(ctx, 'backup', ctx.plan.configuration.why);
  }
  // The last point at which nothing on the device has changed: a cancel asked for by now needs no rollback.
  const cancelled = await cancelPoint(ctx, 'backup');
  if (cancelled)
    return end(ctx, 'backup', { kind: 'stopped', failure: cancelled.failure, by: cancelled.by, device: before, backupSha256: original?.sha256 ?? null });

  // stage: the image waits in the inactive bank, unmarked, until the run is activated; the device runs
  // its software as before meanwhile. From the activation on, the device as it was then is the start.
  let start = before;
  let staged = false;
  if (ctx.options.stage) {
    const activation = await stageAndAwaitActivation(ctx, before, run.image, original, backUp);
    if (!activation.ok) {
      const left = `the device runs ${before.runningVersion} as before${ctx.plan.stage.applies ? `; what was staged stays in its inactive bank, not marked for boot` : ''}`;
      return end(ctx, 'upgrade', {
        kind: 'stopped',
        failure: activation.failure,
        by: activation.by,
        device: before,
        backupSha256: original?.sha256 ?? null,
        left,
      });
    }
    ({ reading: start, condition, original, staged } = activation.value);
  }

  // upgrade: download into the inactive bank (or activate what is staged there), reboot, read back;
  // step 160 after every failed attempt. Every attempt names its image: the run's, or the corrected one
  // an operator handed in.
  const upgrade = await inPhase(
    ctx,
    'upgrade',
    policy.upgrade,
    (n, { supplied }) => upgradeAttempt(ctx, start, supplied.image ?? run.image!, n, staged && n === 0),
    {
      afterFailedAttempt: (n) => revertAfterFailedUpgrade(ctx, start, n),
      subject: ({ image = run.image! }) => ({
        text: `with image ${image.version} (${image.sha256.slice(0, 12)})`,
        detail: { image: { sha256: image.sha256, version: image.version } },
        imageSha256: image.sha256,
      }),
    },
  );
  if (!upgrade.ok) return giveUp(ctx, 'upgrade', upgrade, start, original);
  const { image } = upgrade.value;

  // migrate, restore: only where the family keeps a configuration of its own.
  let restoredDigest: string | null = null;
  let migration = '';
  if (original) {
    let config = original;
    let convertOnDevice = false;
    // migrate: when the new software reads another configuration format; the backup stays as it is.
    if (needsMigration(original.configFormat, image.configFormat)) {
      convertOnDevice = await converterChosen(ctx, original, image.configFormat);
      if (!convertOnDevice) {
        const migrated = await inPhase(ctx, 'migrate', policy.migrate, (_n, { supplied }) =>
          migrateConfig(ctx, 'migrate', supplied.config ?? original, start.model, image.configFormat, `for ${image.version}`),
        );
        if (!migrated.ok) return giveUp(ctx, 'migrate', migrated, start, original);
        config = migrated.value;
      }
      migration = `, configuration ${convertOnDevice ? 'converted by the device' : 'migrated'} from format ${original.configFormat} to ${image.configFormat}`;
    }

    // restore: apply it; the running configuration must read back as the one restored.
    const plan = { config, original, model: start.model, ...(convertOnDevice ? { convertTo: image.configFormat } : {}) };
    const restored = await inPhase(ctx, 'restore', policy.restore, (n, attempt) => restoreAttempt(ctx, n, plan, attempt));
    if (!restored.ok) return giveUp(ctx, 'restore', restored, start, original);
    restoredDigest = restored.value.configDigest;
  } else {
    await skipPhase(ctx, 'restore', 'nothing was backed up');
  }

  // verify: version and configuration read back, then the post-checks: what was up before is still up.
  const verified = await inPhase(ctx, 'verify', policy.restore, () => verifyAttempt(ctx, start, image, restoredDigest, condition));
  if (!verified.ok) return giveUp(ctx, 'verify', verified, start, original);

  return end(ctx, 'verify', {
    kind: 'verified',
    newSoftware: true,
    device: verified.value,
    backupSha256: original?.sha256 ?? null,
    summary: `upgraded from ${start.runningVersion} to ${image.version}${migration}; ${original ? 'version and configuration verified' : 'version verified (the family keeps no configuration)'}`,
  });
}

/**
 * Whether the device converts the configuration itself (the run's converter option, where the family
 * can); the timeline says who converts, and why the manager does when the device was asked but cannot.
 */
async function converterChosen(ctx: RunContext, original: ConfigFile, toFormat: number): Promise<boolean> {
  if (ctx.options.converter !== 'device') return false;
  const byDevice = ctx.plan.deviceConverts;
  await ctx.record({
    phase: 'migrate',
    kind: byDevice ? 'phaseSkipped' : 'migration',
    actor: 'manager',
    message: byDevice
      ? `migrate: the device converts the configuration from format ${original.configFormat} to ${toFormat} itself, as the run asks; the manager checks the result`
      : `the run asks the device to convert, but a ${ctx.run.family ?? 'safeflash'} device has no converter of its own: the manager converts`,
    detail: { converter: byDevice ? 'device' : 'manager', fromFormat: original.configFormat, toFormat },
  });
  return byDevice;
}

/** A phase the device's family does not have: said in the timeline, so that nobody thinks it happened. */
async function skipPhase(ctx: RunContext, phase: Phase, why: string): Promise<void> {
  await ctx.record({ phase, kind: 'phaseSkipped', actor: 'manager', message: `${phase} does not apply: ${why}` });
}

/** After the upgrade started: keep the new software if the operator said so, else roll back fully. */
async function giveUp(
  ctx: RunContext,
  phase: Phase,
  result: Extract<PhaseResult<unknown>, { ok: false }>,
  before: DeviceReading,
  original: ConfigFile | null,
): Promise<RunOutcome> {
  if (result.stop === 'keepNewSoftware') {
    const now = await ctx.steps.readDevice(ctx.run.deviceId);
    return end(ctx, phase, {
      kind: 'keptNewSoftware',
      failure: result.failure,
      by: result.by,
      device: now.ok ? now.reading : undefined,
      backupSha256: original?.sha256 ?? null,
    });
  }
  const rollback = await rollBack(ctx, before, original, ctx.run.policy.restore.backoffSeconds);
  return end(ctx, 'rollback', {
    kind: 'rolledBack',
    failure: result.failure,
    by: result.by,
    restored: rollback.restored,
    device: rollback.device,
    backupSha256: original?.sha256 ?? null,
    ...(rollback.problem !== undefined ? { problem: rollback.problem } : {}),
  });
}
