// Which migration steps each device family has. Data, not code: a new family is one more entry, a new
// format one more step pair. Steps go one format at a time (N -> N+1 and N+1 -> N); registry.ts chains them.
import type { DeviceConfig, DeviceConfigV1, DeviceConfigV2 } from '../../protocol/config.ts';
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

export interface DeviceFamily {
  name: string;
  /** The models that share this family's configuration formats and steps. */
  models: RegExp;
  steps: readonly MigrationStep[];
}

function step<F extends DeviceConfig, T extends DeviceConfig>(family: string, from: F['format'], to: T['format'], convert: (config: F) => T): MigrationStep {
  // The cast is safe because the registry checks config.format === from before converting.
  return { from, to, name: `${family} format ${from} -> ${to}`, convert: (config) => convert(config as F) };
}

export const deviceFamilies: readonly DeviceFamily[] = [
  {
    name: 'IAD',
    models: /^IAD-[A-Za-z0-9._-]+$/,
    steps: [step<DeviceConfigV1, DeviceConfigV2>('IAD', 1, 2, format1To2), step<DeviceConfigV2, DeviceConfigV1>('IAD', 2, 1, format2To1)],
  },
];
