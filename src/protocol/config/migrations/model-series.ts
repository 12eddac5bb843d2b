// Which migration steps each model series has (models that share configuration formats). Data, not code:
// a new series is one more entry, a new
// format one more step pair. Steps go one format at a time (N -> N+1 and N+1 -> N); registry.ts chains them.
import type { DeviceConfig, DeviceConfigV1, DeviceConfigV2 } from '../../config.ts';
import { format1To2 } from './format1-to-2.ts';
import { format2To1 } from './format2-to-1.ts';

export interface MigrationStep {
  from: number;
  to: number;
  /** For run reports: "IAD format 1 -> 2". */
  name: string;
  /** Pure: never changes its input. Called only with a valid configuration of format `from`. */
  convert(config: DeviceConfig): DeviceConfig;
}

export interface ModelSeries {
  name: string;
  /** The models that share this series' configuration formats and steps. */
  models: RegExp;
  steps: readonly MigrationStep[];
}

function step<F extends DeviceConfig, T extends DeviceConfig>(series: string, from: F['format'], to: T['format'], convert: (config: F) => T): MigrationStep {
  // The cast is safe because the registry checks config.format === from before converting.
  return { from, to, name: `${series} format ${from} -> ${to}`, convert: (config) => convert(config as F) };
}

/** The reference configuration's steps, named for a series. */
function referenceSteps(series: string): MigrationStep[] {
  return [step<DeviceConfigV1, DeviceConfigV2>(series, 1, 2, format1To2), step<DeviceConfigV2, DeviceConfigV1>(series, 2, 1, format2To1)];
}

/**
 * The reference IAD, and the lab's virtual VRP devices and IOS routers, whose configurations hold the
 * reference content written their vendor's way (their family converts the text; these steps the content).
 */
export const modelSeries: readonly ModelSeries[] = [
  { name: 'IAD', models: /^IAD-[A-Za-z0-9._-]+$/, steps: referenceSteps('IAD') },
  { name: 'VRP (lab)', models: /^AR\d+$/, steps: referenceSteps('VRP (lab)') },
  { name: 'IOS router (lab)', models: /^ISR-\d+$/, steps: referenceSteps('IOS router (lab)') },
];
