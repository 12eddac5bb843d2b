// Migrate: convert the configuration to the format the new software reads (validated at every step of
// the chain). The result is stored as its own file derived from the source; the source is only read.
import type { Phase } from '../../store/records.ts';
import { attemptFailed, type AttemptResult } from '../phase-loop.ts';
import type { RunContext } from '../run-context.ts';
import type { ConfigFile } from '../step-types.ts';

/** `phase`: migrate, or restore when a restore migrates again. */
export async function migrateConfig(
  ctx: RunContext,
  phase: Extract<Phase, 'migrate' | 'restore'>,
  source: ConfigFile,
  model: string,
  toFormat: number,
  why: string,
): Promise<AttemptResult<ConfigFile>> {
  const { run, steps } = ctx;
  const migrated = await steps.migrate(source, model, toFormat, run.deviceId, run.runId, run.family);
  if (!migrated.ok) return attemptFailed(phase, migrated.cause, migrated.message);
  await ctx.record({
    phase,
    kind: 'migration',
    actor: 'manager',
    message:
      migrated.steps.length === 0
        ? `${why}: ${source.sha256.slice(0, 12)} is already format ${toFormat}`
        : `${why}: format ${source.configFormat} to ${toFormat} (${migrated.steps.join(', ')}) as ${migrated.config.sha256.slice(0, 12)}; ${source.sha256.slice(0, 12)} kept unchanged`,
    detail: { from: source.sha256, to: migrated.config.sha256, fromFormat: source.configFormat, toFormat, steps: migrated.steps },
  });
  return { ok: true, value: migrated.config };
}
