// A configuration written the way a vendor's CLI shows it, for the lab's virtual devices of that vendor:
// a banner that changes by itself, one block per section with indented commands, a separator between
// blocks, an end line. Its content is the device's configuration (src/protocol/config.ts); defaulted
// values are written as `default` commands, so that reading it back gives the very same configuration.
// A dialect says what the vendor's lines look like.
import { ConfigError, type DeviceConfig, parseConfig, renderConfig } from '../protocol/config.ts';
import { MigrationError, migrateConfig } from '../protocol/config/migrations/registry.ts';
import type { ConfigurationText } from './family.ts';

export interface Dialect {
  /** The line between blocks: `!` (IOS), `#` (VRP, Comware). */
  separator: string;
  /** The last line: `end` (IOS), `return` (VRP, Comware). */
  end: string;
  /** The lines before the configuration, written anew each time it is shown. */
  banner(body: string, changedAt: Date): string[];
  isVolatile(line: string): boolean;
  /** The line naming the configuration's format (its software's dialect), and how to read it back. */
  formatLine(format: number): string;
  formatPattern: RegExp;
  /** A comment naming the unit: the model and serial number its configuration is for. */
  unitLine(model: string, serial: string): string;
  unitPattern: RegExp;
  /**
   * How a section's block is headed, and back (IOS heads the sections that are interfaces
   * `interface <name>`); the section's own name when absent. The two must be each other's inverse.
   */
  blockHeader?(section: string): string;
  sectionOf?(header: string): string;
  /**
   * Commands the vendor writes at the top level instead of inside their section's block (IOS's
   * `hostname`), by section. Only set values are moved: a defaulted one stays in its block.
   */
  globalCommands?: Readonly<Record<string, readonly string[]>>;
}

/** The configuration in the dialect, as of `changedAt`. */
export function renderVendorConfig(dialect: Dialect, config: DeviceConfig, changedAt: Date): Buffer {
  const canonical = renderConfig(config).toString('utf8').split('\n');
  const globals: string[] = [];
  const blocks: string[] = [];
  let section = '';
  for (const line of canonical.slice(1)) {
    if (line === '') continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      blocks.push(dialect.separator, dialect.blockHeader?.(section) ?? section);
      continue;
    }
    const entry = /^([^ ]+) (\?=|=) ?(.*)$/.exec(line);
    if (!entry) throw new Error(`unexpected configuration line ${JSON.stringify(line)}`);
    const [, key, marker, value] = entry;
    const command = `${marker === '?=' ? 'default ' : ''}${key}${value === '' ? '' : ` ${value}`}`;
    if (marker === '=' && value !== '' && dialect.globalCommands?.[section]?.includes(key!)) globals.push(command);
    else blocks.push(` ${command}`);
  }
  const body = [dialect.formatLine(config.format), dialect.unitLine(config.model, config.serial), ...globals, ...blocks, dialect.separator, dialect.end];
  const text = body.join('\n');
  return Buffer.from(`${[...dialect.banner(text, changedAt), text].join('\n')}\n`, 'utf8');
}

/** The configuration a text in the dialect holds; ConfigError when it is not one the device can apply. */
export function parseVendorConfig(dialect: Dialect, bytes: Buffer | string): DeviceConfig {
  const lines = bytes.toString().replace(/\r\n/g, '\n').split('\n');
  let format: string | undefined;
  let unit: RegExpExecArray | null = null;
  const canonical: string[] = [];
  // Top-level commands go back into their sections' blocks (after parsing, so that a block may come later).
  const globals = new Map<string, string[]>();
  for (const [i, line] of lines.entries()) {
    if (line === '' || dialect.isVolatile(line) || line === dialect.separator || line === dialect.end) continue;
    const declared = dialect.formatPattern.exec(line);
    if (declared) {
      format = declared[1];
      continue;
    }
    const named = dialect.unitPattern.exec(line);
    if (named) {
      unit = named;
      continue;
    }
    // Both IOS and VRP comment with `!`.
    if (line.startsWith('!')) continue;
    const global = globalCommand(dialect, line);
    if (global) {
      globals.set(global.section, [...(globals.get(global.section) ?? []), global.line]);
      continue;
    }
    if (!line.startsWith(' ')) {
      canonical.push('', `[${dialect.sectionOf?.(line) ?? line}]`);
      continue;
    }
    const command = /^ (default )?(\S+)(?: (.*))?$/.exec(line);
    if (!command) throw new ConfigError('syntax', [`line ${i + 1}: not a configuration command: ${JSON.stringify(line)}`]);
    const [, defaulted, key, value] = command;
    canonical.push(`${key} ${defaulted ? '?=' : '='} ${value ?? ''}`.trimEnd());
  }
  if (format === undefined || !unit) throw new ConfigError('noHeader', ["no format line or no unit line: not this device's configuration"]);
  for (const [section, commands] of globals) {
    const at = canonical.indexOf(`[${section}]`);
    if (at === -1) canonical.push('', `[${section}]`, ...commands);
    else canonical.splice(at + 1, 0, ...commands);
  }
  return parseConfig([`#!safeflash-config format=${format} model=${unit[1]} serial=${unit[2]}`, ...canonical, ''].join('\n'));
}

/** A top-level command the dialect moves out of a section (`hostname r1`), as that section's line. */
function globalCommand(dialect: Dialect, line: string): { section: string; line: string } | undefined {
  const command = /^(\S+) (.+)$/.exec(line);
  if (!command) return undefined;
  for (const [section, keys] of Object.entries(dialect.globalCommands ?? {})) {
    if (keys.includes(command[1]!)) return { section, line: `${command[1]} = ${command[2]}` };
  }
  return undefined;
}

/**
 * What the manager knows of a configuration in the dialect: a text it keeps and compares, and converts
 * between formats. The lab's dialects write the reference configuration, so their format steps are the
 * reference steps (src/protocol/config/migrations/), read and written back through the dialect.
 */
export function vendorConfiguration(dialect: Dialect): ConfigurationText {
  return {
    migrate: (text, model, toFormat) => {
      let source: DeviceConfig;
      try {
        source = parseVendorConfig(dialect, text);
      } catch (error) {
        if (error instanceof ConfigError) throw new MigrationError('invalidInput', error.problems, { cause: error });
        throw error;
      }
      const migrated = migrateConfig(source, model, toFormat);
      return { text: migrated.steps.length === 0 ? Buffer.from(text) : renderVendorConfig(dialect, migrated.config, new Date()), steps: migrated.steps };
    },
    problems: (text) => {
      const problems: string[] = [];
      if (!text.split('\n').some((line) => dialect.formatPattern.test(line))) problems.push('no line naming the configuration format');
      if (!text.split('\n').includes(dialect.end)) problems.push(`no "${dialect.end}" line: the configuration is cut short`);
      return problems;
    },
    formatOf: (text) => {
      for (const line of text.split('\n')) {
        const declared = dialect.formatPattern.exec(line);
        if (declared) return Number(declared[1]);
      }
      return null;
    },
    isVolatile: (line) => dialect.isVolatile(line),
  };
}
