// The kinds of value a configuration key holds, each with its text form. The text form is the single
// source of truth for validity: a value built in code is valid when it survives render-then-parse unchanged.
import { isDeepStrictEqual } from 'node:util';
import { hasControlCharacter } from '../../common/text.ts';

export interface ValueType<T> {
  /** For messages: "an integer from 1 to 4094". */
  describe: string;
  /** The value a text stands for, or undefined when the text is not such a value. */
  parse(text: string): T | undefined;
  render(value: T): string;
}

/** Whether a value of unknown origin is a valid value of this type. */
export function isValueOf<T>(type: ValueType<T>, value: unknown): value is T {
  if (value === undefined || value === null) return false;
  let text: string;
  try {
    text = type.render(value as T);
  } catch {
    return false;
  }
  return typeof text === 'string' && isDeepStrictEqual(type.parse(text), value);
}

/** Free text on one line: no control characters, no surrounding spaces (they would not survive a round trip). */
export function text(options: { max: number; pattern?: RegExp; describe?: string }): ValueType<string> {
  return {
    describe: options.describe ?? `text of 1 to ${options.max} characters`,
    parse: (raw) => {
      if (raw.length === 0 || raw.length > options.max || raw !== raw.trim() || hasControlCharacter(raw)) return undefined;
      return options.pattern && !options.pattern.test(raw) ? undefined : raw;
    },
    render: (value) => String(value),
  };
}

export function integer(min: number, max: number): ValueType<number> {
  return {
    describe: `an integer from ${min} to ${max}`,
    parse: (raw) => {
      if (!/^-?\d{1,10}$/.test(raw)) return undefined;
      const n = Number(raw);
      return n >= min && n <= max ? n : undefined;
    },
    render: (value) => {
      if (!Number.isInteger(value)) throw new TypeError('not an integer');
      return String(value);
    },
  };
}

export const flag: ValueType<boolean> = {
  describe: 'yes or no',
  parse: (raw) => (raw === 'yes' ? true : raw === 'no' ? false : undefined),
  render: (value) => {
    if (typeof value !== 'boolean') throw new TypeError('not a boolean');
    return value ? 'yes' : 'no';
  },
};

export function oneOf<const V extends string>(values: readonly V[]): ValueType<V> {
  return {
    describe: `one of ${values.join(', ')}`,
    parse: (raw) => ((values as readonly string[]).includes(raw) ? (raw as V) : undefined),
    render: (value) => String(value),
  };
}

function isIpv4(raw: string): boolean {
  const parts = raw.split('.');
  return parts.length === 4 && parts.every((part) => /^(0|[1-9]\d{0,2})$/.test(part) && Number(part) <= 255);
}

export const ipv4: ValueType<string> = {
  describe: 'an IPv4 address',
  parse: (raw) => (isIpv4(raw) ? raw : undefined),
  render: (value) => String(value),
};

/** An interface address with its prefix length, as in "10.20.0.5/24". */
export const ipv4Interface: ValueType<string> = {
  describe: 'an IPv4 address with prefix length (a.b.c.d/n)',
  parse: (raw) => {
    const [address, prefix, ...rest] = raw.split('/');
    if (rest.length > 0 || address === undefined || !isIpv4(address) || prefix === undefined) return undefined;
    return /^([89]|[12]\d|3[0-2])$/.test(prefix) ? raw : undefined;
  },
  render: (value) => String(value),
};

const hostnamePattern = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** A DNS name or an IPv4 address. */
export const host: ValueType<string> = {
  describe: 'a host name or IPv4 address',
  parse: (raw) => (isIpv4(raw) || (hostnamePattern.test(raw) && !/^[\d.]+$/.test(raw)) ? raw : undefined),
  render: (value) => String(value),
};

/** A host with an optional port, as SIP servers are written: "sip.example.net" or "192.0.2.10:5070". */
export const hostPort: ValueType<string> = {
  describe: 'a host name or IPv4 address, optionally with :port',
  parse: (raw) => {
    const match = /^([^:]+)(?::(\d{1,5}))?$/.exec(raw);
    if (!match || host.parse(match[1]!) === undefined) return undefined;
    return match[2] === undefined || (Number(match[2]) >= 1 && Number(match[2]) <= 65535 && !match[2].startsWith('0')) ? raw : undefined;
  },
  render: (value) => String(value),
};

/** A subscriber number: E.164 with "+", or a national number. */
export const phoneNumber = text({ max: 16, pattern: /^\+?[1-9]\d{2,14}$/, describe: 'a phone number (+ and 3 to 15 digits)' });

/** A list of one or more values; `distinctBy` names what must not repeat (a codec listed twice is a typo). */
export function listOf<T>(item: ValueType<T>, options: { max: number; separator?: string; distinctBy?: (value: T) => string }): ValueType<T[]> {
  const separator = options.separator ?? ' ';
  const distinct = options.distinctBy ? ', each at most once' : '';
  return {
    describe: `1 to ${options.max} of ${item.describe}, separated by "${separator}"${distinct}`,
    parse: (raw) => {
      const parts = raw.split(separator);
      if (parts.length > options.max) return undefined;
      const values: T[] = [];
      for (const part of parts) {
        const value = item.parse(part);
        if (value === undefined) return undefined;
        values.push(value);
      }
      const distinctBy = options.distinctBy;
      if (distinctBy && new Set(values.map((value) => distinctBy(value))).size !== values.length) return undefined;
      return values;
    },
    render: (values) => {
      if (!Array.isArray(values) || values.length === 0) throw new TypeError('not a non-empty list');
      return values.map((value) => item.render(value)).join(separator);
    },
  };
}
