// Keeping the "defaulted" marks right across a format step. A key the customer never set follows the
// factory: in the target format it takes that format's default and stays marked. A key the customer set
// keeps the customer's value (converted) and stays unmarked, even when that value equals a default.
import type { configSchema, KeySpec } from '../../config.ts';

type AnyFormatSchema = ReturnType<typeof configSchema>;

/** "fxs 2.codecs" -> section "fxs 2", title "fxs", key "codecs"; "sip.account 1.user" -> title "sip.account". */
function splitPath(path: string): { section: string; title: string; key: string } {
  const dot = path.lastIndexOf('.');
  const section = path.slice(0, dot);
  const space = section.indexOf(' ');
  return { section, title: space === -1 ? section : section.slice(0, space), key: path.slice(dot + 1) };
}

function keySpecAt(schema: AnyFormatSchema, path: string): KeySpec<unknown> {
  const { title, key } = splitPath(path);
  const spec = Object.values(schema.sections).find((section) => section.title === title)?.keys[key];
  if (!spec) throw new Error(`format ${schema.format} has no key ${path}`);
  return spec;
}

/** Titles of the sections both schemas describe with the very same spec: their keys mean the same in both. */
function sharedTitles(source: AnyFormatSchema, target: AnyFormatSchema): Set<string> {
  return new Set(
    Object.entries(target.sections)
      .filter(([field, spec]) => source.sections[field] === spec)
      .map(([, spec]) => spec.title),
  );
}

export class DefaultedMarks {
  private readonly source: ReadonlySet<string>;
  private readonly target = new Set<string>();

  constructor(
    sourceSchema: AnyFormatSchema,
    private readonly targetSchema: AnyFormatSchema,
    sourceDefaulted: readonly string[],
  ) {
    this.source = new Set(sourceDefaulted);
    const shared = sharedTitles(sourceSchema, targetSchema);
    for (const path of sourceDefaulted) if (shared.has(splitPath(path).title)) this.target.add(path);
  }

  /** Whether the source still held the factory default at this path. */
  wasDefault(path: string): boolean {
    return this.source.has(path);
  }

  /**
   * The value the target key `to` takes for the source key `from`: `converted` (the source value in the
   * target's terms) when the customer set it, the target default (marked) when the factory did.
   */
  carry<T>(from: string, to: string, converted: T): T {
    const spec = keySpecAt(this.targetSchema, to);
    if (!this.source.has(from) || spec.default === undefined) return converted;
    this.target.add(to);
    return structuredClone(spec.default) as T;
  }

  /** A key the source format does not have: the target default, marked as such. */
  introduce<T>(to: string): T {
    const spec = keySpecAt(this.targetSchema, to);
    if (spec.default === undefined) throw new Error(`format ${this.targetSchema.format} key ${to} has no default to introduce`);
    this.target.add(to);
    return structuredClone(spec.default) as T;
  }

  /** The target's defaulted list, sorted as parsed configurations hold it. */
  list(): string[] {
    return [...this.target].sort();
  }
}

/** A copy without the properties that hold undefined: an absent optional key is absent, not undefined. */
export function withoutUndefined<T extends object>(entry: T): T {
  return Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== undefined)) as T;
}
