// Version ranges for selecting devices by the software they run: comparators joined by spaces (all must
// hold), alternatives joined by "||". ">=1.0.0 <2.0.0", "1.4.2", "<1.2 || >=3". Versions compare part
// by part, numerically where both parts are numbers.

export class VersionRangeError extends Error {
  override name = 'VersionRangeError';
}

type Operator = '<' | '<=' | '>' | '>=' | '=';

interface Comparator {
  operator: Operator;
  version: string;
}

export type VersionRange = Comparator[][];

export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/);
  const pb = b.split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '0';
    const y = pb[i] ?? '0';
    const nx = /^\d+$/.test(x) ? Number(x) : NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : NaN;
    const order = !Number.isNaN(nx) && !Number.isNaN(ny) ? nx - ny : x < y ? -1 : x > y ? 1 : 0;
    if (order !== 0) return Math.sign(order);
  }
  return 0;
}

export function parseVersionRange(text: string): VersionRange {
  const alternatives = text.split('||').map((alternative) => alternative.trim());
  if (text.trim() === '' || alternatives.some((a) => a === ''))
    throw new VersionRangeError(`version range ${JSON.stringify(text)} is empty or has an empty alternative`);
  return alternatives.map((alternative) =>
    alternative.split(/\s+/).map((item) => {
      const match = /^(<=|>=|<|>|=)?\s*([0-9A-Za-z]+(?:[.-][0-9A-Za-z]+)*)$/.exec(item);
      if (!match) throw new VersionRangeError(`version range ${JSON.stringify(text)}: "${item}" is not a comparator such as >=1.0.0`);
      return { operator: (match[1] ?? '=') as Operator, version: match[2]! };
    }),
  );
}

/** What each operator asks of a comparison's sign. */
const holds: Record<Operator, (order: number) => boolean> = {
  '<': (order) => order < 0,
  '<=': (order) => order <= 0,
  '>': (order) => order > 0,
  '>=': (order) => order >= 0,
  '=': (order) => order === 0,
};

export function inVersionRange(range: VersionRange, version: string): boolean {
  return range.some((all) => all.every(({ operator, version: bound }) => holds[operator](compareVersions(version, bound))));
}
