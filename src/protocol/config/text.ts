// The text layer of a configuration file, the same for every format:
//
//   #!safeflash-config format=2 model=IAD-2400 serial=SF24A0001     <- line 1, always
//   # a comment                                                      <- whole lines only
//   [sip]                                                            <- a section
//   registrar = sip.example.net                                      <- set by the customer
//   transport ?= udp                                                 <- still the factory default
//   [fxs 1]                                                          <- a section with a label
//
// Values run to the end of the line ("#" inside a value is part of it: passwords may hold one).
import type { ConfigHeader } from './schema.ts';

export type ConfigFailure = 'noHeader' | 'unknownFormat' | 'syntax' | 'invalid';

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly reason: ConfigFailure,
    /** Each problem on its own, "line N: ..." where the line is known. */
    readonly problems: string[],
  ) {
    super(problems.length === 1 ? problems[0] : `${problems.length} problems:\n  ${problems.join('\n  ')}`);
  }
}

export const headerMagic = '#!safeflash-config';
const modelPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const serialPattern = /^[A-Za-z0-9][A-Za-z0-9-]{0,31}$/;

export interface LexedEntry {
  key: string;
  value: string;
  /** Written "key ?= value": the factory default, never set by the customer. */
  isDefault: boolean;
  line: number;
}

export interface LexedSection {
  title: string;
  label?: string;
  line: number;
  entries: LexedEntry[];
}

export interface LexedConfig {
  header: ConfigHeader;
  sections: LexedSection[];
}

export function toText(input: Buffer | string): string {
  return typeof input === 'string' ? input : input.toString('utf8');
}

/** Reads the header line alone; formats the caller may not know are returned, not refused. */
export function lexHeader(input: Buffer | string): ConfigHeader {
  const text = toText(input);
  const end = text.indexOf('\n');
  const line = (end === -1 ? text : text.slice(0, end)).replace(/\r$/, '').replace(/^\uFEFF/, '');
  const [magic, ...fields] = line.split(' ').filter(Boolean);
  if (magic !== headerMagic) {
    throw new ConfigError('noHeader', [`line 1: not a Safeflash configuration (expected "${headerMagic} format=N model=M serial=S")`]);
  }
  const attributes = new Map<string, string>();
  for (const field of fields) {
    const match = /^([a-z]+)=(.+)$/.exec(field);
    if (!match || attributes.has(match[1]!)) throw new ConfigError('noHeader', [`line 1: malformed header field "${field}"`]);
    attributes.set(match[1]!, match[2]!);
  }
  const format = attributes.get('format');
  if (format === undefined || !/^[1-9]\d{0,4}$/.test(format)) {
    throw new ConfigError('noHeader', [`line 1: header needs format=N with N a positive integer, got ${format === undefined ? 'none' : `"${format}"`}`]);
  }
  const model = attributes.get('model');
  if (model === undefined || !modelPattern.test(model)) throw new ConfigError('noHeader', ['line 1: header needs model=M (letters, digits, ".", "_", "-")']);
  const serial = attributes.get('serial');
  if (serial === undefined || !serialPattern.test(serial)) throw new ConfigError('noHeader', ['line 1: header needs serial=S (letters, digits, "-")']);
  const unknown = [...attributes.keys()].filter((key) => !['format', 'model', 'serial'].includes(key));
  if (unknown.length > 0) throw new ConfigError('noHeader', [`line 1: unknown header field ${unknown.join(', ')}`]);
  return { format: Number(format), model, serial };
}

export function renderHeader(header: ConfigHeader): string {
  return `${headerMagic} format=${header.format} model=${header.model} serial=${header.serial}`;
}

export function isValidHeader(header: ConfigHeader): boolean {
  return modelPattern.test(header.model) && serialPattern.test(header.serial);
}

const sectionLine = /^\[([a-z][a-z0-9_.]*)(?: ([A-Za-z0-9_-]+))?\]$/;
const entryLine = /^([a-z][a-z0-9_]*)\s*(\?=|=)\s*(.*)$/;

/** Splits a file into header, sections and entries; syntax errors name every bad line. */
export function lexConfig(input: Buffer | string): LexedConfig {
  const text = toText(input);
  const header = lexHeader(text);
  const lines = text.split('\n');
  const sections: LexedSection[] = [];
  const problems: string[] = [];
  for (let index = 1; index < lines.length; index++) {
    const line = index + 1;
    const content = lines[index]!.replace(/\r$/, '').trim();
    if (content === '' || content.startsWith('#')) continue;
    const section = sectionLine.exec(content);
    if (section) {
      sections.push({ title: section[1]!, ...(section[2] === undefined ? {} : { label: section[2] }), line, entries: [] });
      continue;
    }
    const entry = entryLine.exec(content);
    const current = sections.at(-1);
    if (!entry) problems.push(`line ${line}: expected "[section]", "key = value" or "# comment", got "${excerpt(content)}"`);
    else if (!current) problems.push(`line ${line}: "${entry[1]}" comes before any [section]`);
    else current.entries.push({ key: entry[1]!, value: entry[3]!, isDefault: entry[2] === '?=', line });
  }
  if (problems.length > 0) throw new ConfigError('syntax', problems);
  return { header, sections };
}

function excerpt(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}
