// In-flight mode of the fleet benchmark: what runs cost while they wait. One run per device through
// POST /api/runs, a batch at a time (--batch), on devices whose reboot lasts long (--reboot-ms), until
// every run waits for its device to come back at once; then the manager is watched for --sample-seconds while nothing but waiting
// happens. Reports memory per run in flight (the manager's resident size with every run waiting, less
// its size before the first run) and the CPU of the manager and its PostgreSQL meanwhile. Ends there:
// the runs are not seen through (cleanUp stops everything).
import { setTimeout as sleep } from 'node:timers/promises';
import { inParallel, type RunJson } from './api.ts';
import type { BenchMode, ModeContext, ModeReport } from './mode.ts';
import { seconds } from './mode.ts';
import { childrenRssKiB, sampleTree, type TreeSample } from './process-stats.ts';
import { isPostgres } from './cost-report.ts';

export interface InFlightOptions {
  startWidth: number;
  /** Runs started together; the next batch starts once these wait for their reboot. */
  batch: number;
  /** How long the devices reboot: the runs' boot time limit is set well above it. */
  rebootSeconds: number;
  /** How long the manager is watched once every run waits. */
  sampleSeconds: number;
  managerPid: number;
}

const policy = Object.fromEntries(['preflight', 'backup', 'upgrade', 'migrate', 'restore'].map((phase) => [phase, { then: 'abort' }]));

const nodeCpu = (tree: TreeSample) => tree.root.cpuSeconds;
const postgresCpu = (tree: TreeSample) => tree.children.filter(isPostgres).reduce((sum, c) => sum + c.cpuSeconds, 0);
const mib = (kib: number) => (kib / 1024).toFixed(1);

export function inFlightMode(context: ModeContext, options: InFlightOptions): BenchMode {
  const { api, devices, note, database } = context;
  const ids = new Set<string>();
  const refused: string[] = [];
  let before: TreeSample | undefined;
  let waitingFrom: TreeSample | undefined;
  let waitingTo: TreeSample | undefined;
  let waiting = 0;
  let inFlight = 0;
  let startedAt = 0;
  let allWaitingAfter = Number.NaN;

  /** Runs not ended yet: started and in any phase. */
  async function countActive(): Promise<number> {
    if (!database) throw new Error('in-flight mode reads the runs from the database, which it cannot reach');
    return database.count(`SELECT count(*) AS n FROM safeflash.runs WHERE state IN ('running', 'waiting')`);
  }

  /**
   * Runs whose reboot was ordered and whose device has not answered yet: from the operations' routes
   * (a row per operation), not the timelines, which grow thirty rows a run and would make this count,
   * asked every few seconds, a load of its own on the database being measured.
   */
  async function countWaiting(): Promise<number> {
    if (!database) throw new Error('in-flight mode reads the runs from the database, which it cannot reach');
    return database.count(
      `SELECT count(*) AS n FROM safeflash.operation_routes o JOIN safeflash.runs r ON r.id = o.run_id
        WHERE o.type = 'reboot' AND o.boots = 0 AND o.ended IS NULL AND r.state = 'running'`,
    );
  }

  return {
    async run() {
      before = sampleTree(options.managerPid);
      startedAt = Date.now();
      const timeLimits = { boot: Math.max(300, 3 * options.rebootSeconds) };
      const deadline = startedAt + context.limitSeconds * 1000;
      // Started a batch at a time, each once the one before waits for its reboot: runs reach the
      // wait one batch after the other instead of all crawling through their first phases together.
      for (let from = 0; from < devices.length && Date.now() < deadline; from += options.batch) {
        await inParallel(devices.slice(from, from + options.batch), options.startWidth, async (device) => {
          try {
            const run = await api.call<RunJson>('POST', '/api/runs', {
              json: { device: String(device.id), image: context.image.sha256, policy, timeLimits, operator: 'bench' },
            });
            ids.add(run.id);
          } catch (error) {
            refused.push(`${device.name}: ${(error as Error).message}`);
          }
        });
        for (waiting = await countWaiting(); waiting < ids.size * 0.95 && Date.now() < deadline; waiting = await countWaiting()) await sleep(1000);
        note(`${seconds(Date.now() - startedAt)} s: ${ids.size} runs started, ${waiting} wait for their device's reboot`);
      }
      note(`${ids.size} runs started in ${seconds(Date.now() - startedAt)} s${refused.length ? `; ${refused.length} refused, first: ${refused[0]}` : ''}`);
      let lastNote = 0;
      for (;;) {
        waiting = await countWaiting();
        if (waiting >= ids.size) break;
        if (Date.now() >= deadline) {
          note(`only ${waiting} of ${ids.size} runs wait for a reboot after ${context.limitSeconds} s: measured with those`);
          break;
        }
        if (Date.now() - lastNote >= 15_000) {
          lastNote = Date.now();
          note(`${seconds(Date.now() - startedAt)} s: ${waiting} of ${ids.size} runs wait for their device's reboot`);
        }
        await sleep(2000);
      }
      allWaitingAfter = Date.now() - startedAt;
      note(`${waiting} runs wait after ${seconds(allWaitingAfter)} s; watching the manager for ${options.sampleSeconds} s`);
      waitingFrom = sampleTree(options.managerPid);
      await sleep(options.sampleSeconds * 1000);
      waitingTo = sampleTree(options.managerPid);
      inFlight = await countActive();
      const still = await countWaiting();
      if (still < waiting) note(`${waiting - still} devices came back while the manager was watched: --reboot-ms is too short for this many devices`);
      waiting = Math.min(waiting, still);
    },

    async report(): Promise<ModeReport> {
      const lines: string[] = [];
      const ok = before !== undefined && waitingFrom !== undefined && waitingTo !== undefined && inFlight > 0 && refused.length === 0;
      if (!ok || !before || !waitingFrom || !waitingTo) {
        lines.push(`NOT MEASURED: ${waiting} of ${ids.size} runs waited at once${refused.length ? `; ${refused.length} refused, first: ${refused[0]}` : ''}`);
        return { setup: 'in flight', lines, ok: false };
      }
      const window = (waitingTo.at - waitingFrom.at) / 1000;
      const node = nodeCpu(waitingTo) - nodeCpu(waitingFrom);
      const postgres = postgresCpu(waitingTo) - postgresCpu(waitingFrom);
      const grownKiB = waitingTo.root.rssKiB - before.root.rssKiB;
      lines.push(
        `in flight: ${inFlight} runs under way at once, ${waiting} of them waiting for their device's reboot (${waiting >= ids.size ? 'all' : `NOT ALL of ${ids.size}: the time limit came first`}, after ${seconds(allWaitingAfter)} s)`,
      );
      lines.push(
        `manager memory: resident ${mib(before.root.rssKiB)} MiB before the first run, ${mib(waitingTo.root.rssKiB)} MiB with ${inFlight} runs in flight: ${(grownKiB / inFlight).toFixed(1)} KiB per run in flight (peak VmHWM ${mib(waitingTo.root.hwmKiB)} MiB); PostgreSQL resident ${mib(childrenRssKiB(waitingTo, isPostgres))} MiB`,
      );
      lines.push(
        `CPU over ${window.toFixed(0)} s with them in flight: manager node ${node.toFixed(2)} s + PostgreSQL ${postgres.toFixed(2)} s = ${((100 * (node + postgres)) / window).toFixed(1)}% of one core; ${(((node + postgres) / window / inFlight) * 1e6).toFixed(1)} µs of CPU per run in flight per second`,
      );
      return {
        setup: `one run per device through POST /api/runs, each device rebooting ${options.rebootSeconds} s; measured while every run waits`,
        lines,
        ok,
      };
    },
  };
}
