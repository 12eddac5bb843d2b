// What a fleet benchmark mode is given and gives back: the manager's API, the discovered devices and
// the image; a measured part (run) and a report read afterwards, so that what only the report needs
// is not counted in the manager's cost.
import type { DeviceJson, ManagerApi } from './api.ts';
import type { PostgresStats } from './postgres-stats.ts';

export interface ModeContext {
  api: ManagerApi;
  devices: DeviceJson[];
  image: { sha256: string; bytes: number };
  limitSeconds: number;
  /** The manager's PostgreSQL, read directly for what the API does not list (every run of a campaign). */
  database: PostgresStats | undefined;
  /** CPU seconds so far of the manager and its PostgreSQL processes. */
  managerCpuSeconds: () => number;
  note: (text: string) => void;
}

export interface ModeReport {
  /** How the devices were upgraded, for the header line. */
  setup: string;
  lines: string[];
  /** False when the bench gave up waiting or something was refused: the exit code is 1. */
  ok: boolean;
}

export interface BenchMode {
  /** The measured part: returns once everything is final or the time limit passed. */
  run(): Promise<void>;
  report(): Promise<ModeReport>;
}

export const seconds = (ms: number) => (ms / 1000).toFixed(1);

export function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

/** The value at share `p` (0..1) of an ascending list: the nearest rank below. */
export function percentileOf(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}
