// Reading, checking and writing a configuration against its format's schema. Nothing here knows a
// particular format: the schemas in format1.ts/format2.ts say what each one holds.
import { isDeepStrictEqual } from 'node:util';
import { describeProblem, type AnyFormatSchema, type ConfigHeader, type KeySpec, type Problem, type RepeatedSectionSpec } from './schema.ts';
import { ConfigError, isValidHeader, renderHeader, type LexedConfig, type LexedSection } from './text.ts';
import { isValueOf, type ValueType } from './values.ts';

type Entry = Record<string, unknown>;
type Section = AnyFormatSchema['sections'][string];

/** The section as written in the file: "sip", "fxs 2". */
function sectionName(spec: Section, entry: Entry): string {
  if (spec.kind === 'single') return spec.title;
  return `${spec.title} ${(spec.label as ValueType<unknown>).render(entry[spec.labelField])}`;
}

function keyPath(section: string, key: string): string {
  return `${section}.${key}`;
}

/** Entries of a repeated section in file order: by label, numbers numerically. */
function sortedEntries(spec: RepeatedSectionSpec<Entry>, entries: Entry[]): Entry[] {
  return [...entries].sort((a, b) => {
    const x = a[spec.labelField] as string | number;
    const y = b[spec.labelField] as string | number;
    return typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), 'en');
  });
}

function sectionEntries(spec: Section, value: unknown): Entry[] {
  if (spec.kind === 'single') return isEntry(value) ? [value] : [];
  return Array.isArray(value) ? sortedEntries(spec, value.filter(isEntry)) : [];
}

function isEntry(value: unknown): value is Entry {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---- validation ---------------------------------------------------------------------------------

/** Every problem of a configuration against its format's schema; empty when valid. */
export function validateAgainst(schema: AnyFormatSchema, config: ConfigHeader & { defaulted?: unknown } & Entry): Problem[] {
  const problems: Problem[] = [];
  if (config.format !== schema.format) problems.push({ message: `format is ${String(config.format)}, this schema is format ${schema.format}` });
  if (typeof config.model !== 'string' || typeof config.serial !== 'string' || !isValidHeader(config)) {
    problems.push({ message: 'model and serial must be letters, digits, "-" (and "." or "_" in models)' });
  }
  const known = new Set(['format', 'model', 'serial', 'defaulted', ...Object.keys(schema.sections)]);
  for (const field of Object.keys(config)) if (!known.has(field)) problems.push({ message: `unknown part "${field}" in format ${schema.format}` });
  const keyValues = new Map<string, { spec: KeySpec<unknown>; value: unknown }>();

  for (const [field, spec] of Object.entries(schema.sections)) {
    const value = config[field];
    if (spec.kind === 'single') {
      if (!isEntry(value)) problems.push({ section: spec.title, message: 'missing section' });
      else problems.push(...keyProblems(spec.title, spec.keys, value, keyValues));
      continue;
    }
    if (!Array.isArray(value)) {
      problems.push({ section: spec.title, message: `missing: expected a list of [${spec.title} ...] sections` });
      continue;
    }
    if (value.length < spec.min || value.length > spec.max) {
      problems.push({ section: spec.title, message: `expected ${spec.min} to ${spec.max} [${spec.title} ...] sections, got ${value.length}` });
    }
    const labels = new Set<unknown>();
    for (const entry of value) {
      if (!isEntry(entry) || !isValueOf(spec.label as ValueType<unknown>, entry[spec.labelField])) {
        problems.push({
          section: spec.title,
          message: `${spec.labelField} must be ${spec.label.describe}, got ${JSON.stringify(isEntry(entry) ? entry[spec.labelField] : entry)}`,
        });
        continue;
      }
      const name = sectionName(spec, entry);
      if (labels.has(entry[spec.labelField])) problems.push({ section: name, message: 'appears more than once' });
      labels.add(entry[spec.labelField]);
      const { [spec.labelField]: _label, ...keys } = entry;
      problems.push(...keyProblems(name, spec.keys, keys, keyValues));
    }
  }

  problems.push(...defaultedProblems(config.defaulted, keyValues));
  if (problems.length === 0) problems.push(...schema.rules(config as never));
  return problems;
}

function keyProblems(
  section: string,
  keys: Record<string, KeySpec<unknown>>,
  entry: Entry,
  seen: Map<string, { spec: KeySpec<unknown>; value: unknown }>,
): Problem[] {
  const problems: Problem[] = [];
  for (const [key, spec] of Object.entries(keys)) {
    const value = entry[key];
    if (value === undefined) {
      if (spec.required) problems.push({ section, key, message: 'missing (required)' });
      continue;
    }
    if (!isValueOf(spec.type, value))
      problems.push({ section, key, message: `must be ${spec.type.describe}${spec.secret ? '' : `, got ${JSON.stringify(value)}`}` });
    else seen.set(keyPath(section, key), { spec, value });
  }
  for (const key of Object.keys(entry)) if (!(key in keys)) problems.push({ section, key, message: 'unknown key' });
  return problems;
}

function defaultedProblems(defaulted: unknown, keyValues: Map<string, { spec: KeySpec<unknown>; value: unknown }>): Problem[] {
  if (!Array.isArray(defaulted) || !defaulted.every((path) => typeof path === 'string')) {
    return [{ message: 'defaulted must be a list of "section.key" names' }];
  }
  const problems: Problem[] = [];
  for (const path of defaulted as string[]) {
    const split = path.lastIndexOf('.');
    const where = { section: path.slice(0, split), key: path.slice(split + 1) };
    const held = keyValues.get(path);
    if (!held) problems.push({ ...where, message: 'marked as default (?=) but not set' });
    else if (held.spec.default === undefined) problems.push({ ...where, message: 'marked as default (?=) but this key has no default' });
    else if (!isDeepStrictEqual(held.value, held.spec.default)) {
      problems.push({ ...where, message: `marked as default (?=) but the default is ${held.spec.type.render(held.spec.default)}` });
    }
  }
  return problems;
}

// ---- reading ------------------------------------------------------------------------------------

/** Builds a configuration from lexed text; throws ConfigError('invalid') with line numbers. */
export function buildConfig(schema: AnyFormatSchema, lexed: LexedConfig): Entry & ConfigHeader & { defaulted: string[] } {
  const problems: string[] = [];
  const lines = new Map<string, number>();
  /** Keys whose value could not be read: already reported, so not reported again as missing. */
  const unreadable = new Set<string>();
  const config: Entry & ConfigHeader & { defaulted: string[] } = { ...lexed.header, defaulted: [] };
  const fields = Object.entries(schema.sections);

  for (const lexedSection of lexed.sections) {
    const found = fields.find(([, spec]) => spec.title === lexedSection.title);
    const name = lexedSection.label === undefined ? lexedSection.title : `${lexedSection.title} ${lexedSection.label}`;
    const at = `line ${lexedSection.line}: [${name}]`;
    if (!found) {
      problems.push(`${at}: no such section in format ${schema.format}`);
      continue;
    }
    const [field, spec] = found;
    if (lines.has(name)) {
      problems.push(`${at}: appears again (first on line ${lines.get(name)})`);
      continue;
    }
    lines.set(name, lexedSection.line);
    let entry: Entry;
    if (spec.kind === 'single') {
      if (lexedSection.label !== undefined) problems.push(`${at}: this section takes no label`);
      entry = {};
      config[field] = entry;
    } else {
      const label = lexedSection.label === undefined ? undefined : spec.label.parse(lexedSection.label);
      if (label === undefined) {
        problems.push(`${at}: the label must be ${spec.label.describe}`);
        continue;
      }
      entry = { [spec.labelField]: label };
      const list = (config[field] as Entry[] | undefined) ?? [];
      list.push(entry);
      config[field] = list;
    }
    readEntries(name, lexedSection, spec.keys, entry, { defaulted: config.defaulted, lines, unreadable, problems });
  }

  // A repeated section that does not appear at all is an empty list, not a missing part.
  for (const [field, spec] of fields) {
    if (spec.kind === 'repeated') config[field] = sortedEntries(spec, (config[field] as Entry[] | undefined) ?? []);
  }
  config.defaulted.sort();

  // Checked even when some lines were unreadable, so that one run lists every problem of the file.
  for (const problem of validateAgainst(schema, config)) {
    const path = problem.section !== undefined && problem.key !== undefined ? keyPath(problem.section, problem.key) : undefined;
    if (path !== undefined && unreadable.has(path)) continue;
    const line = (path === undefined ? undefined : lines.get(path)) ?? (problem.section === undefined ? undefined : lines.get(problem.section));
    problems.push(line === undefined ? describeProblem(problem) : `line ${line}: ${describeProblem(problem)}`);
  }
  if (problems.length > 0) throw new ConfigError('invalid', byLine(problems));
  return config;
}

/** Problems in file order; those without a line (a missing section) last. */
function byLine(problems: string[]): string[] {
  const lineOf = (problem: string): number => Number(/^line (\d+):/.exec(problem)?.[1] ?? Infinity);
  return [...problems].sort((a, b) => lineOf(a) - lineOf(b));
}

interface ReadState {
  defaulted: string[];
  lines: Map<string, number>;
  unreadable: Set<string>;
  problems: string[];
}

function readEntries(name: string, section: LexedSection, keys: Record<string, KeySpec<unknown>>, entry: Entry, state: ReadState): void {
  const { defaulted, lines, unreadable, problems } = state;
  for (const { key, value, isDefault, line } of section.entries) {
    const at = `line ${line}: [${name}] ${key}`;
    const spec = keys[key];
    const path = keyPath(name, key);
    if (!spec) {
      problems.push(`${at}: no such key in this section`);
      continue;
    }
    if (lines.has(path)) {
      problems.push(`${at}: set again (first on line ${lines.get(path)})`);
      continue;
    }
    lines.set(path, line);
    const parsed = spec.type.parse(value);
    if (parsed === undefined) {
      unreadable.add(path);
      problems.push(`${at}: must be ${spec.type.describe}${spec.secret ? '' : `, got "${value}"`}`);
      continue;
    }
    entry[key] = parsed;
    if (isDefault) defaulted.push(path);
  }
}

// ---- writing ------------------------------------------------------------------------------------

/** The canonical text of a configuration: sections in schema order, labels sorted, keys in schema order. */
export function renderAgainst(schema: AnyFormatSchema, config: ConfigHeader & { defaulted: readonly string[] } & Entry): string {
  const defaulted = new Set(config.defaulted);
  const blocks = [renderHeader(config)];
  for (const [field, spec] of Object.entries(schema.sections)) {
    for (const entry of sectionEntries(spec, config[field])) {
      const name = sectionName(spec, entry);
      const lines = [`[${name}]`];
      for (const [key, keySpec] of Object.entries(spec.keys)) {
        const value = entry[key];
        if (value === undefined) continue;
        let text: string;
        try {
          text = keySpec.type.render(value);
        } catch {
          throw new ConfigError('invalid', [`[${name}] ${key}: cannot be written, must be ${keySpec.type.describe}`]);
        }
        lines.push(`${key} ${defaulted.has(keyPath(name, key)) ? '?=' : '='} ${text}`);
      }
      blocks.push(lines.join('\n'));
    }
  }
  return `${blocks.join('\n\n')}\n`;
}

/** A copy with every secret value replaced, for showing a configuration to people. */
export function redactAgainst<C extends object>(schema: AnyFormatSchema, config: C): C {
  const copy = structuredClone(config) as Entry;
  for (const [field, spec] of Object.entries(schema.sections)) {
    for (const entry of sectionEntries(spec, copy[field])) {
      for (const [key, keySpec] of Object.entries(spec.keys)) {
        if (keySpec.secret && entry[key] !== undefined) entry[key] = '********';
      }
    }
  }
  return copy as unknown as C;
}
