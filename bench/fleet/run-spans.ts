// How many runs were really under way at once, from every run's creation and end as the database
// holds them: the time-weighted mean and the peak over the span from the first creation to the last
// end, and how long the runs took. (The campaign's own counters only change when it saves.) Given the
// spans in which the campaign had devices of its current wave left to start, also the mean over those
// alone: how full the campaign kept its slots when it could, without the drain it waits for between waves.
import { percentileOf, seconds } from './mode.ts';

export interface RunSpan {
  created: number;
  updated: number;
  state: string;
}

const activeStates = new Set(['running', 'waiting']);

/** A span of time, ms since the epoch. */
export interface Interval {
  from: number;
  to: number;
}

export function runSpanLine(spans: readonly RunSpan[], maxConcurrent: number, filling: readonly Interval[] = []): string {
  const ended = spans.filter((s) => !activeStates.has(s.state));
  if (ended.length === 0) return 'runs in the database: none ended';
  const end = Math.max(...spans.map((s) => (activeStates.has(s.state) ? Date.now() : s.updated)));
  const changes = spans.flatMap((s) => [
    { at: s.created, by: 1 },
    { at: activeStates.has(s.state) ? end : s.updated, by: -1 },
  ]);
  // Ends before starts at the same instant: a slot freed and taken at once is not two runs.
  changes.sort((a, b) => a.at - b.at || a.by - b.by);
  const start = changes[0]!.at;
  let now = 0;
  let peak = 0;
  let area = 0;
  let previous = start;
  let fillingArea = 0;
  const overlap = (from: number, to: number) => filling.reduce((sum, i) => sum + Math.max(0, Math.min(to, i.to) - Math.max(from, i.from)), 0);
  for (const change of changes) {
    area += now * (change.at - previous);
    fillingArea += now * overlap(previous, change.at);
    previous = change.at;
    now += change.by;
    peak = Math.max(peak, now);
  }
  const fillingMs = filling.reduce((sum, i) => sum + Math.max(0, i.to - i.from), 0);
  const whileFilling =
    fillingMs > 0 ? `; while a wave still had devices to start (${seconds(fillingMs)} s in all): mean ${(fillingArea / fillingMs).toFixed(0)}` : '';
  const durations = ended.map((s) => s.updated - s.created).sort((a, b) => a - b);
  return (
    `runs in the database (${spans.length}): under way at once mean ${(area / (end - start)).toFixed(0)}, peak ${peak} (campaign allows ${maxConcurrent})${whileFilling} ` +
    `over ${seconds(end - start)} s from the first run created to the last run ended; run time p50 ${seconds(percentileOf(durations, 0.5))} s, p90 ${seconds(percentileOf(durations, 0.9))} s, max ${seconds(durations.at(-1)!)} s`
  );
}
