// A connection that prepares the store's statements once and runs them by name afterwards. The runs
// send the same few dozen statements hundreds of thousands of times; unnamed, PostgreSQL parses and
// plans each one again at every call, which was a large part of its CPU per run. Named, it parses once
// per connection and, after a few calls, keeps a generic plan. Statement texts never carry values (they
// are parameters), so the set of texts is small; past `maxNamed` distinct texts, the rest run unnamed.
import { createHash } from 'node:crypto';
import pg from 'pg';

const maxNamed = 1_000;
const names = new Map<string, string>();

/** The statement's name: the same for the same text in every connection of this process. */
function nameOf(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < maxNamed) {
    name = `sf_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

export class PreparingClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    // pg's query has a dozen overloads; only (text, values[, callback]) with values becomes a named query.
    const query = this.query.bind(this) as (...args: unknown[]) => unknown;
    this.query = ((...args: unknown[]) => {
      const [text, values, ...rest] = args;
      const name = typeof text === 'string' && Array.isArray(values) && values.length > 0 ? nameOf(text) : undefined;
      return name === undefined ? query(...args) : query({ name, text, values }, ...rest);
    }) as pg.Client['query'];
  }
}
