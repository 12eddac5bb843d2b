// A configuration as VRP shows it (`display current-configuration`): the software version and the time
// of the last update as `!` comments (written anew each time), blocks between `#`, `return`.
import type { DeviceConfig } from '../../protocol/config.ts';
import { type Dialect, parseVendorConfig, renderVendorConfig, vendorConfiguration } from '../vendor-config-text.ts';

const vrpDialect: Dialect = {
  separator: '#',
  end: 'return',
  banner: (_body, changedAt) => [
    '!Software Version V200R009C00SPC500',
    `!Last configuration was updated at ${changedAt
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, '+00:00')}`,
  ],
  // The software version changes with every upgrade: a backup read back after one must still compare equal.
  isVolatile: (line) => /^!Software Version /.test(line) || /^!Last configuration was (updated|saved) at /.test(line),
  formatLine: (format) => `!Config Format ${format}`,
  formatPattern: /^!Config Format (\d+)$/,
  unitLine: (model, serial) => `!Platform ${model} serial ${serial}`,
  unitPattern: /^!Platform (\S+) serial (\S+)$/,
};

export function renderVrpConfig(config: DeviceConfig, changedAt: Date): Buffer {
  return renderVendorConfig(vrpDialect, config, changedAt);
}

/** ConfigError when the text is not a configuration this device can apply. */
export function parseVrpConfig(bytes: Buffer | string): DeviceConfig {
  return parseVendorConfig(vrpDialect, bytes);
}

export const vrpConfiguration = vendorConfiguration(vrpDialect);
