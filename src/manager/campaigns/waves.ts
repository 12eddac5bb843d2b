// Waves: how a campaign's selection is cut into groups run one after the other. Percentages are
// cumulative shares of the selection (1%,10%,50%,100%: the first wave is 1% of the devices, the
// second brings the total to 10%, ...); counts are the sizes of the waves themselves, and whatever
// they leave over makes one last wave. Each wave has a failure threshold: a count, or a percentage of
// the wave's size; the campaign pauses when a wave's failures reach it.

export type WaveStep = { kind: 'percent'; value: number } | { kind: 'count'; value: number };
export type Threshold = { kind: 'percent'; value: number } | { kind: 'count'; value: number };

export class WaveError extends Error {
  override name = 'WaveError';
}

export const maxWaves = 100;

function parsePositive(text: string, what: string): WaveStep {
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (percent) {
    const value = Number(percent[1]);
    if (!(value > 0 && value <= 100)) throw new WaveError(`${what} ${text}: a percentage is more than 0% and at most 100%`);
    return { kind: 'percent', value };
  }
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (value < 1) throw new WaveError(`${what} ${text}: a count is at least 1`);
    return { kind: 'count', value };
  }
  throw new WaveError(`${what} ${JSON.stringify(text)}: expected a count (5) or a percentage (10%)`);
}

/** "1%,10%,50%,100%" or "5,20,100" (or the same as a list). */
export function parseWaves(given: string | ReadonlyArray<string | number>): WaveStep[] {
  const items = (typeof given === 'string' ? given.split(',') : given.map(String)).map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new WaveError('waves: at least one wave, e.g. 10%,100% or 5,20');
  if (items.length > maxWaves) throw new WaveError(`waves: at most ${maxWaves} waves, got ${items.length}`);
  const steps = items.map((item, i) => parsePositive(item, `wave ${i + 1}`));
  const kinds = new Set(steps.map((s) => s.kind));
  if (kinds.size > 1) throw new WaveError('waves: either all percentages (cumulative: 1%,10%,100%) or all counts (wave sizes: 5,20,100), not both');
  if (steps[0]!.kind === 'percent') {
    for (let i = 1; i < steps.length; i++) {
      if (steps[i]!.value <= steps[i - 1]!.value) throw new WaveError(`waves: percentages are cumulative and must grow (${items[i - 1]} then ${items[i]})`);
    }
    if (steps.at(-1)!.value !== 100) throw new WaveError(`waves: the last wave must reach 100% (the whole selection), got ${items.at(-1)}`);
  }
  return steps;
}

export function formatWaves(steps: readonly WaveStep[]): string {
  return steps.map((s) => (s.kind === 'percent' ? `${s.value}%` : String(s.value))).join(',');
}

/** The size of each wave for a selection of `total` devices; waves that would be empty are left out. */
export function waveSizes(steps: readonly WaveStep[], total: number): number[] {
  const sizes: number[] = [];
  let covered = 0;
  for (const step of steps) {
    if (covered >= total) break;
    const reach = step.kind === 'percent' ? Math.ceil((step.value / 100) * total - 1e-9) : covered + step.value;
    const size = Math.min(reach, total) - covered;
    if (size > 0) sizes.push(size);
    covered += Math.max(0, size);
  }
  if (covered < total) sizes.push(total - covered);
  return sizes;
}

export function parseThreshold(given: string | number): Threshold {
  const text = String(given).trim();
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (percent) {
    const value = Number(percent[1]);
    if (!(value > 0 && value <= 100)) throw new WaveError(`threshold ${text}: a percentage is more than 0% and at most 100%`);
    return { kind: 'percent', value };
  }
  if (/^\d+$/.test(text) && Number(text) >= 1) return { kind: 'count', value: Number(text) };
  throw new WaveError(`threshold ${JSON.stringify(text)}: expected a number of failures (at least 1) or a percentage of the wave (5%)`);
}

export function formatThreshold(threshold: Threshold): string {
  return threshold.kind === 'percent' ? `${threshold.value}%` : String(threshold.value);
}

/** How many failures in a wave of `size` devices pause the campaign: at least one. */
export function failuresThatPause(threshold: Threshold, size: number): number {
  return threshold.kind === 'count' ? threshold.value : Math.max(1, Math.ceil((threshold.value / 100) * size - 1e-9));
}
