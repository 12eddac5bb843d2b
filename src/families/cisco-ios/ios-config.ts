// A configuration as IOS shows it (`show running-config`): `Building configuration...`, the byte count
// and the time of the last change (all written anew each time), `version`, `hostname` at the top,
// blocks between `!` (the sections that are ports or links as `interface` blocks), `end`. The content is
// the device's configuration (src/protocol/config.ts), so that the manager keeps, compares and migrates
// it like any other; only its dress is IOS's.
import type { DeviceConfig } from '../../protocol/config.ts';
import { type Dialect, parseVendorConfig, renderVendorConfig, vendorConfiguration } from '../vendor-config-text.ts';

/**
 * The sections IOS shows as interfaces, and their interface names: the links by their fixed names, the
 * telephone ports (format 1 `port N`, format 2 `fxs N`) numbered under slot 0. The names are this lab
 * router's; each maps to one section only, so that a text reads back to the sections it was written from.
 */
const fixedInterfaces: ReadonlyArray<readonly [section: string, name: string]> = [
  ['management', 'GigabitEthernet0'],
  ['wan', 'GigabitEthernet0/0/0'],
  ['lan', 'GigabitEthernet0/0/1'],
];
const numberedInterfaces: ReadonlyArray<readonly [section: string, prefix: string]> = [
  ['port', 'Port0/'],
  ['fxs', 'FXS0/'],
];
const interfaceHeader = 'interface ';

function blockHeader(section: string): string {
  const fixed = fixedInterfaces.find(([name]) => name === section);
  if (fixed) return `${interfaceHeader}${fixed[1]}`;
  const numbered = /^(\S+) (\d+)$/.exec(section);
  const kind = numbered && numberedInterfaces.find(([name]) => name === numbered[1]);
  return kind ? `${interfaceHeader}${kind[1]}${numbered[2]}` : section;
}

function sectionOf(header: string): string {
  if (!header.startsWith(interfaceHeader)) return header;
  const name = header.slice(interfaceHeader.length);
  const fixed = fixedInterfaces.find(([, iface]) => iface === name);
  if (fixed) return fixed[0];
  const kind = numberedInterfaces.find(([, prefix]) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)));
  // An interface this router does not have: kept under its own name, which the configuration then refuses.
  return kind ? `${kind[0]} ${name.slice(kind[1].length)}` : header;
}

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
  blockHeader,
  sectionOf,
  globalCommands: { system: ['hostname'] },
};

export function renderIosConfig(config: DeviceConfig, changedAt: Date): Buffer {
  return renderVendorConfig(iosDialect, config, changedAt);
}

/** ConfigError when the text is not a configuration this router can apply. */
export function parseIosConfig(bytes: Buffer | string): DeviceConfig {
  return parseVendorConfig(iosDialect, bytes);
}

export const iosConfiguration = vendorConfiguration(iosDialect);
