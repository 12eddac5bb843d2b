// Comparing configurations that a family keeps as text: the digest of what matters (every line but
// those that change by themselves) and a line comparison that says what it ignored and what differs.
import { createHash } from 'node:crypto';
import type { ConfigurationText } from './family.ts';

function lines(text: string): string[] {
  return text.replace(/\r\n/g, '\n').replace(/\n+$/, '').split('\n');
}

/** SHA-256 (hex) of the configuration without its volatile lines: equal for two backups of one configuration. */
export function textDigest(text: string, configuration: Pick<ConfigurationText, 'isVolatile'>): string {
  const kept = lines(text).filter((line) => !configuration.isVolatile(line));
  return createHash('sha256').update(kept.join('\n')).digest('hex');
}

export interface TextComparison {
  equal: boolean;
  /** Volatile lines left out, from either side. */
  ignored: string[];
  /** The first lines that differ, each marked with the side it is on (- expected, + found). */
  differing: string[];
}

/** `expected` against `found`, line by line once the volatile lines are left out. */
export function compareTexts(expected: string, found: string, configuration: Pick<ConfigurationText, 'isVolatile'>, maxDiffering = 10): TextComparison {
  const ignored = [...lines(expected), ...lines(found)].filter((line) => configuration.isVolatile(line));
  const a = lines(expected).filter((line) => !configuration.isVolatile(line));
  const b = lines(found).filter((line) => !configuration.isVolatile(line));
  const differing: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length) && differing.length < maxDiffering; i++) {
    if (a[i] === b[i]) continue;
    if (a[i] !== undefined) differing.push(`- ${a[i]}`);
    if (b[i] !== undefined) differing.push(`+ ${b[i]}`);
  }
  return { equal: differing.length === 0, ignored: [...new Set(ignored)], differing };
}
