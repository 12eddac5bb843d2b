// A configuration as IOS shows it (`show running-config`): what the virtual router uploads when asked
// for its running configuration, and what it accepts back. Its content is the device's configuration
// (src/protocol/config.ts) written the IOS way: a banner that changes by itself (byte count, time of the
// last change), `version`, one block per section with indented commands, `!` between blocks, `end`.
// Defaulted values are written as `default` commands, so that nothing is lost on the way back.
import { ConfigError, type DeviceConfig, parseConfig, renderConfig } from '../../protocol/config.ts';
import type { ConfigurationText } from '../family.ts';

const platformLine = /^! platform (\S+) serial (\S+)$/;
const versionLine = /^version (\d+)\.0$/;

/** The running configuration as IOS text, as of `changedAt` (the time of its last change). */
export function renderIosConfig(config: DeviceConfig, changedAt: Date): Buffer {
  const canonical = renderConfig(config).toString('utf8').split('\n');
  const body: string[] = [`version ${config.format}.0`, `! platform ${config.model} serial ${config.serial}`];
  for (const line of canonical.slice(1)) {
    if (line === '') continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      body.push('!', section[1]!);
      continue;
    }
    const entry = /^([^ ]+) (\?=|=) ?(.*)$/.exec(line);
    if (!entry) throw new Error(`unexpected configuration line ${JSON.stringify(line)}`);
    const [, key, marker, value] = entry;
    body.push(` ${marker === '?=' ? 'default ' : ''}${key}${value === '' ? '' : ` ${value}`}`);
  }
  body.push('!', 'end');
  const text = body.join('\n');
  const stamp = changedAt.toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+) ([\d:]+) GMT$/, '$5 UTC $1 $3 $2 $4');
  const banner = [
    'Building configuration...',
    '',
    `Current configuration : ${Buffer.byteLength(text)} bytes`,
    '!',
    `! Last configuration change at ${stamp}`,
    '!',
  ];
  return Buffer.from(`${[...banner, text].join('\n')}\n`, 'utf8');
}

/** The configuration an IOS text holds; ConfigError when it is not one this router can apply. */
export function parseIosConfig(bytes: Buffer | string): DeviceConfig {
  const lines = bytes.toString().replace(/\r\n/g, '\n').split('\n');
  let format: string | undefined;
  let platform: RegExpExecArray | null = null;
  const canonical: string[] = [];
  for (const [i, line] of lines.entries()) {
    if (line === '' || isVolatile(line) || line === '!' || line === 'end') continue;
    const version = versionLine.exec(line);
    if (version) {
      format = version[1];
      continue;
    }
    const named = platformLine.exec(line);
    if (named) {
      platform = named;
      continue;
    }
    if (line.startsWith('!')) continue;
    if (!line.startsWith(' ')) {
      canonical.push('', `[${line}]`);
      continue;
    }
    const command = /^ (default )?(\S+)(?: (.*))?$/.exec(line);
    if (!command) throw new ConfigError('syntax', [`line ${i + 1}: not a configuration command: ${JSON.stringify(line)}`]);
    const [, defaulted, key, value] = command;
    canonical.push(`${key} ${defaulted ? '?=' : '='} ${value ?? ''}`.trimEnd());
  }
  if (format === undefined || !platform) throw new ConfigError('noHeader', ['no "version" line or no "! platform" line: not this router\'s configuration']);
  return parseConfig([`#!safeflash-config format=${format} model=${platform[1]} serial=${platform[2]}`, ...canonical, ''].join('\n'));
}

/** Lines IOS writes anew every time it shows the configuration. */
function isVolatile(line: string): boolean {
  return (
    line === 'Building configuration...' ||
    /^Current configuration : \d+ bytes$/.test(line) ||
    /^! (Last configuration change|NVRAM config last updated) at /.test(line)
  );
}

/** What the manager knows of an IOS configuration: a text it keeps and compares, never interprets. */
export const iosConfiguration: ConfigurationText = {
  problems: (text) => {
    const problems: string[] = [];
    if (!/^version \S+$/m.test(text)) problems.push('no "version" line');
    if (!/^end$/m.test(text)) problems.push('no "end" line: the configuration is cut short');
    return problems;
  },
  formatOf: (text) => {
    const version = /^version (\d+)\.\d+$/m.exec(text);
    return version ? Number(version[1]) : null;
  },
  isVolatile,
};
