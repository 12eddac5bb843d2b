// What the manager cost over a measurement, as both fleet benchmarks print it: CPU seconds of its
// Node.js process and of its PostgreSQL processes (from /proc), PostgreSQL's own counters, and peak
// memory (the manager's VmHWM, PostgreSQL's peak total RSS and PSS), in total and per device.
import { cpus, loadavg } from 'node:os';
import type { PostgresCounters } from './postgres-stats.ts';
import type { ProcessSample, TreeSample, TreeSampler } from './process-stats.ts';

export const isPostgres = (p: ProcessSample) => p.command.startsWith('postgres');

export interface DatabaseUse {
  before: PostgresCounters;
  after: PostgresCounters;
}

export interface CostInput {
  devices: number;
  /** The manager's tree: its Node.js process, PostgreSQL's processes under it. */
  manager: TreeSampler;
  fleet: TreeSampler;
  database: DatabaseUse | undefined;
}

const mib = (kib: number) => (kib / 1024).toFixed(1);

function part(sample: TreeSample, which: (p: ProcessSample) => boolean): ProcessSample[] {
  return sample.children.filter(which);
}
const cpuOf = (list: ProcessSample[]) => list.reduce((sum, p) => sum + p.cpuSeconds, 0);

export function machineLine(loadAtStart: number[]): string {
  return `machine: ${cpus().length} cores shared with other engineers' test runs (load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')} at start, ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} at end): figures are indicative`;
}

export function costLines({ devices, manager, fleet, database }: CostInput): string[] {
  const first = manager.first!;
  const last = manager.last!;
  const nodeCpu = last.root.cpuSeconds - first.root.cpuSeconds;
  const postgresCpu = cpuOf(part(last, isPostgres)) - cpuOf(part(first, isPostgres));
  const otherCpu = cpuOf(part(last, (p) => !isPostgres(p))) - cpuOf(part(first, (p) => !isPostgres(p)));
  const totalCpu = nodeCpu + postgresCpu + otherCpu;
  const fleetCpu = fleet.last && fleet.first ? fleet.last.root.cpuSeconds - fleet.first.root.cpuSeconds : NaN;
  const lines = [
    `manager CPU over the run: ${totalCpu.toFixed(1)} s = node ${nodeCpu.toFixed(1)} s + PostgreSQL ${postgresCpu.toFixed(1)} s` +
      (otherCpu > 0.05 ? ` + other children ${otherCpu.toFixed(1)} s` : '') +
      `; ${((1000 * totalCpu) / devices).toFixed(0)} ms per device (fleet agent process, for scale: ${fleetCpu.toFixed(1)} s)`,
    `fleet agent CPU per device run: ${((1000 * fleetCpu) / devices).toFixed(1)} ms (the safeflash-agent process, ${fleetCpu.toFixed(1)} s over the runs)`,
  ];
  if (database) {
    const commits = database.after.commits - database.before.commits;
    const rows = database.after.rowsWritten - database.before.rowsWritten;
    const wal = database.after.walBytes - database.before.walBytes;
    lines.push(
      `PostgreSQL over the run: ${commits} transactions committed (${(commits / devices).toFixed(0)} per device), ${rows} rows written (${(rows / devices).toFixed(0)} per device), ${mib(wal / 1024)} MiB of WAL (${(wal / devices / 1024).toFixed(0)} KiB per device)`,
    );
  }
  const hwm = last.root.hwmKiB;
  const pgRss = manager.peakChildrenRssKiB;
  const pgPss = manager.peakChildrenPssKiB;
  lines.push(
    `manager peak memory: VmHWM ${mib(hwm)} MiB (${(hwm / devices).toFixed(0)} KiB per device); PostgreSQL peak total RSS ${mib(pgRss)} MiB over up to ${manager.peakChildrenCount} postgres processes (${(pgRss / devices).toFixed(0)} KiB per device; shared buffers counted once per process)` +
      (pgPss !== undefined ? `, peak total PSS ${mib(pgPss)} MiB (${(pgPss / devices).toFixed(0)} KiB per device)` : ''),
  );
  return lines;
}

export interface Diagnosis {
  statements: Array<{ calls: number; ms: number; query: string }>;
  steps: Array<{ name: string; count: number }>;
}

/** For --pg-statements: the statements PostgreSQL ran most often and the durable steps recorded. */
export function diagnosisLines({ statements, steps }: Diagnosis, devices: number): string[] {
  const lines: string[] = [];
  if (statements.length > 0) {
    const total = statements.reduce((sum, s) => sum + s.calls, 0);
    lines.push(`most frequent statements (top ${statements.length}: ${total} calls, ${(total / devices).toFixed(0)} per device):`);
    for (const s of statements) lines.push(`  ${String(s.calls).padStart(8)} calls ${(s.ms / 1000).toFixed(1).padStart(6)} s  ${s.query.slice(0, 150)}`);
  }
  if (steps.length > 0) {
    const total = steps.reduce((sum, s) => sum + s.count, 0);
    lines.push(
      `durable steps recorded: ${total} (${(total / devices).toFixed(1)} per device): ${steps.map((s) => `${s.name} ${(s.count / devices).toFixed(1)}`).join(', ')}`,
    );
  }
  return lines;
}
