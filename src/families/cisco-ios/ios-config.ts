// A configuration as IOS shows it (`show running-config`): `Building configuration...`, the byte count
// and the time of the last change (all written anew each time), `version`, blocks between `!`, `end`.
import type { DeviceConfig } from '../../protocol/config.ts';
import { type Dialect, parseVendorConfig, renderVendorConfig, vendorConfiguration } from '../vendor-config-text.ts';

const iosDialect: Dialect = {
  separator: '!',
  end: 'end',
  banner: (body, changedAt) => {
    const stamp = changedAt.toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+) ([\d:]+) GMT$/, '$5 UTC $1 $3 $2 $4');
    return ['Building configuration...', '', `Current configuration : ${Buffer.byteLength(body)} bytes`, '!', `! Last configuration change at ${stamp}`, '!'];
  },
  isVolatile: (line) =>
    line === 'Building configuration...' ||
    /^Current configuration : \d+ bytes$/.test(line) ||
    /^! (Last configuration change|NVRAM config last updated) at /.test(line),
  formatLine: (format) => `version ${format}.0`,
  formatPattern: /^version (\d+)\.0$/,
  unitLine: (model, serial) => `! platform ${model} serial ${serial}`,
  unitPattern: /^! platform (\S+) serial (\S+)$/,
};

export function renderIosConfig(config: DeviceConfig, changedAt: Date): Buffer {
  return renderVendorConfig(iosDialect, config, changedAt);
}

/** ConfigError when the text is not a configuration this router can apply. */
export function parseIosConfig(bytes: Buffer | string): DeviceConfig {
  return parseVendorConfig(iosDialect, bytes);
}

export const iosConfiguration = vendorConfiguration(iosDialect);
