// Converting a configuration to the format a device's software wants: find the model's series, chain its
// one-format steps, and check every intermediate and the final configuration against its format. The
// input is never changed; a configuration file's bytes are returned as they were when no step is needed.
import { canonicalTextDigest, ConfigError, configDigest, parseConfig, renderConfig, validateConfig, type DeviceConfig } from '../../config.ts';
import { modelSeries, type ModelSeries, type MigrationStep } from './model-series.ts';
import { MigrationError } from './migration-error.ts';

export { MigrationError, type MigrationFailure } from './migration-error.ts';
export { modelSeries, type ModelSeries, type MigrationStep } from './model-series.ts';

export function seriesFor(model: string, catalogue: readonly ModelSeries[] = modelSeries): ModelSeries | undefined {
  return catalogue.find((series) => series.models.test(model));
}

/** The steps from one format to another, in order; empty when they are the same. */
export function migrationPath(model: string, from: number, to: number, catalogue: readonly ModelSeries[] = modelSeries): MigrationStep[] {
  for (const [name, format] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (!Number.isInteger(format) || format < 1) throw new MigrationError('noPath', [`${name} format must be a positive integer, got ${String(format)}`]);
  }
  const series = seriesFor(model, catalogue);
  if (!series) {
    const known = catalogue.map((entry) => `${entry.name} (${entry.models.source})`).join(', ');
    throw new MigrationError('noPath', [`model ${model} belongs to no model series with migrations (known: ${known || 'none'})`]);
  }
  const direction = Math.sign(to - from);
  const path: MigrationStep[] = [];
  for (let format = from; format !== to; format += direction) {
    const next = series.steps.find((step) => step.from === format && step.to === format + direction);
    if (!next)
      throw new MigrationError('noPath', [`${series.name} has no step from format ${format} to ${format + direction} (on the way from ${from} to ${to})`]);
    path.push(next);
  }
  return path;
}

export interface MigrationResult {
  /** The configuration in the target format; never the input object itself. */
  config: DeviceConfig;
  /** Names of the steps taken, in order; empty when the configuration already had the target format. */
  steps: string[];
}

export function migrateConfig(config: DeviceConfig, model: string, toFormat: number, catalogue: readonly ModelSeries[] = modelSeries): MigrationResult {
  const invalid = validateConfig(config);
  if (invalid.length > 0)
    throw new MigrationError(
      'invalidInput',
      invalid.map((problem) => `format ${String(config.format)}: ${problem}`),
    );
  return migrateValid(config, model, toFormat, catalogue);
}

/** migrateConfig of a configuration already validated (parseConfig validates what it reads). */
function migrateValid(config: DeviceConfig, model: string, toFormat: number, catalogue: readonly ModelSeries[]): MigrationResult {
  if (config.model !== model) throw new MigrationError('invalidInput', [`the configuration is for model ${config.model}, the device is ${model}`]);
  const path = migrationPath(model, config.format, toFormat, catalogue);
  let current: DeviceConfig = structuredClone(config);
  for (const step of path) {
    const next = step.convert(current);
    const problems = next.format === step.to ? validateConfig(next) : [`produced format ${String(next.format)}, expected ${step.to}`];
    if (problems.length > 0)
      throw new MigrationError(
        'invalidResult',
        problems.map((problem) => `${step.name}: ${problem}`),
      );
    current = next;
  }
  return { config: current, steps: path.map((step) => step.name) };
}

export interface MigratedFile extends MigrationResult {
  /** The file to restore: the original bytes when no step was needed, else the canonical text of the result. */
  text: Buffer;
  fromFormat: number;
  toFormat: number;
  /** configDigest of the source and of the result, for run reports and the verify phase. */
  sourceDigest: string;
  digest: string;
}

/** For the manager: a backup file in, the file to restore out; the backup's bytes are only read. */
export function migrateConfigFile(text: Buffer, model: string, toFormat: number, catalogue: readonly ModelSeries[] = modelSeries): MigratedFile {
  let source: DeviceConfig;
  try {
    source = parseConfig(text);
  } catch (error) {
    if (error instanceof ConfigError) throw new MigrationError('invalidInput', error.problems, { cause: error });
    throw error;
  }
  const result = migrateValid(source, model, toFormat, catalogue);
  const sourceDigest = configDigest(source);
  // The file to restore: the backup's own bytes when no step was taken, else the result's canonical text.
  const rendered = result.steps.length === 0 ? undefined : renderConfig(result.config);
  return {
    ...result,
    text: rendered ?? Buffer.from(text),
    fromFormat: source.format,
    toFormat,
    sourceDigest,
    digest: rendered ? canonicalTextDigest(rendered) : sourceDigest,
  };
}
