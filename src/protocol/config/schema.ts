// How a configuration format is described: sections, their keys, each key's type, whether it is
// required and its factory default. The types tie each schema to the TypeScript shape of its format,
// so a key added to one and not the other does not compile.
import type { ValueType } from './values.ts';

export interface KeySpec<T> {
  type: ValueType<T>;
  required: boolean;
  /** The factory value; a key holding it unchanged since the factory is written "key ?= value". */
  default?: T;
  /** Passwords and communities: masked when a configuration is shown. */
  secret?: boolean;
}
export interface RequiredKey<T> extends KeySpec<T> {
  required: true;
}
export interface OptionalKey<T> extends KeySpec<T> {
  required: false;
  default?: undefined;
}

/** The key specs a section of shape T must have: one per property, required exactly when the property is. */
export type KeysOf<T> = {
  [K in keyof T]-?: undefined extends T[K] ? OptionalKey<Exclude<T[K], undefined>> : RequiredKey<T[K]>;
};

export function required<T>(type: ValueType<T>, options: { default?: T; secret?: boolean } = {}): RequiredKey<T> {
  return { type, required: true, ...options };
}

export function optional<T>(type: ValueType<T>, options: { secret?: boolean } = {}): OptionalKey<T> {
  return { type, required: false, ...options };
}

/** A section that appears exactly once: "[sip]". */
export interface SingleSectionSpec<T> {
  kind: 'single';
  title: string;
  keys: KeysOf<T>;
}

/** A section that appears once per label: "[fxs 1]", "[user admin]"; held as an array sorted by label. */
export interface RepeatedSectionSpec<E> {
  kind: 'repeated';
  title: string;
  /** The property of each entry that holds its label. */
  labelField: keyof E & string;
  label: ValueType<string> | ValueType<number>;
  keys: Record<string, KeySpec<unknown>>;
  min: number;
  max: number;
}

export function single<T>(title: string, keys: KeysOf<T>): SingleSectionSpec<T> {
  return { kind: 'single', title, keys };
}

export function repeated<E, L extends keyof E & string>(spec: {
  title: string;
  labelField: L;
  label: ValueType<E[L] & (string | number)>;
  keys: KeysOf<Omit<E, L>>;
  min: number;
  max: number;
}): RepeatedSectionSpec<E> {
  return { kind: 'repeated', ...spec, label: spec.label as RepeatedSectionSpec<E>['label'], keys: spec.keys as Record<string, KeySpec<unknown>> };
}

/** What every configuration file states in its first line. */
export interface ConfigHeader {
  format: number;
  model: string;
  serial: string;
}

/** What every configuration holds besides its header and sections. */
export interface ConfigProvenance {
  /**
   * Keys that still hold the format's factory default (never set by the customer), as "section.key"
   * with the section as written in the file: "sip.register_expires", "fxs 2.codecs". Sorted.
   * A migration may move these to the target format's default; it must keep every other value.
   */
  defaulted: string[];
}

export type SectionField<C> = Exclude<keyof C, keyof ConfigHeader | keyof ConfigProvenance> & string;

export type SectionSpecFor<V> = V extends readonly (infer E)[] ? RepeatedSectionSpec<E> : SingleSectionSpec<V>;

/** A problem found in a configuration, located by section (as written in the file) and key. */
export interface Problem {
  section?: string;
  key?: string;
  message: string;
}

export interface FormatSchema<C extends ConfigHeader & ConfigProvenance> {
  format: C['format'];
  /** One line on what this format is, for listings and migration reports. */
  summary: string;
  /** The sections in the order they are written. */
  sections: { [F in SectionField<C>]-?: SectionSpecFor<C[F]> };
  /** Checks that span several keys or sections; run only on a configuration whose keys are each valid. */
  rules(config: C): Problem[];
}

/** A format schema seen from code that handles every format alike. */
export interface AnyFormatSchema {
  format: number;
  summary: string;
  sections: Record<string, SingleSectionSpec<Record<string, unknown>> | RepeatedSectionSpec<Record<string, unknown>>>;
  rules(config: never): Problem[];
}

export function describeProblem(problem: Problem): string {
  const where = [problem.section === undefined ? '' : `[${problem.section}]`, problem.key ?? ''].filter(Boolean).join(' ');
  return where ? `${where}: ${problem.message}` : problem.message;
}
