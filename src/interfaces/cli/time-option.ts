// A point in time on the command line: an ISO 8601 time with its zone, or a duration back from now
// (90s, 30m, 24h, 7d, 2w), for options such as `audit export --since`.
import { InvalidArgumentError } from 'commander';

const secondsPer: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const isoPattern = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** The time `value` names, durations counted back from `now`; throws InvalidArgumentError (a usage error) otherwise. */
export function parseTimeOption(value: string, now: Date = new Date()): Date {
  const duration = /^([0-9]{1,9})(s|m|h|d|w)$/.exec(value);
  if (duration) return new Date(now.getTime() - Number(duration[1]) * secondsPer[duration[2]!]! * 1000);
  if (isoPattern.test(value)) {
    // A date alone is midnight UTC, as Date reads it.
    const time = new Date(value);
    if (!Number.isNaN(time.getTime())) return time;
  }
  throw new InvalidArgumentError(
    `expected an ISO 8601 time with its zone (2026-05-01T08:00:00Z) or a duration back from now (90s, 30m, 24h, 7d, 2w), got "${value}"`,
  );
}
