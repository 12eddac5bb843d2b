// How many runs the queue lets be under way: the operator's options, checked where they are parsed
// without loading DBOS.
export interface RunQueueLimits {
  /** Runs under way at once across all managers. */
  maxRuns: number;
  /** Runs under way at once on one manager. */
  maxRunsPerManager: number;
}

export const defaultRunQueueLimits: RunQueueLimits = { maxRuns: 20_000, maxRunsPerManager: 10_000 };

export function checkRunQueueLimits(limits: RunQueueLimits): RunQueueLimits {
  for (const [name, value] of Object.entries(limits)) {
    if (!(Number.isSafeInteger(value) && value >= 1)) throw new RangeError(`${name} ${value} is not a positive integer`);
  }
  return limits;
}
