// The campaign page as an operator's dashboard asks for it while the campaign runs: one GET every
// `intervalMs` from the benchmark's process, timed to the last byte; the next request waits for the
// one before it (a slow page is not asked twice at once), so a page slower than the interval is
// simply sampled less often. Keeps every timing and size, and the latest page for the bench to follow.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ManagerApi } from './api.ts';
import { percentileOf } from './mode.ts';

export interface PageSample {
  at: number;
  ms: number;
  bytes: number;
}

export class PageSampler<T> {
  readonly samples: PageSample[] = [];
  readonly failures: string[] = [];
  latest: T | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly api: ManagerApi,
    private readonly path: string,
    private readonly intervalMs: number,
    private readonly timeoutMs = 60_000,
  ) {}

  start(): void {
    this.loop = this.sampleUntilStopped();
  }

  /** Waits for the request in flight, if any. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async sampleUntilStopped(): Promise<void> {
    while (!this.stopped) {
      const started = Date.now();
      try {
        const response = await this.api.timedGet(this.path, this.timeoutMs);
        if (response.status !== 200) throw new Error(`HTTP ${response.status} ${response.text.slice(0, 200)}`);
        this.samples.push({ at: started, ms: response.ms, bytes: response.bytes });
        this.latest = JSON.parse(response.text) as T;
      } catch (error) {
        this.failures.push((error as Error).message);
      }
      await sleep(Math.max(0, started + this.intervalMs - Date.now()));
    }
  }

  /** "p50 12 ms, p90 30 ms, p99 80 ms, max 95 ms over 600 requests; response 1.2 MiB (largest 1.3 MiB)". */
  describe(): string {
    if (this.samples.length === 0) return `no answer (${this.failures.length} failed${this.failures[0] ? `, first: ${this.failures[0]}` : ''})`;
    const ms = this.samples.map((s) => s.ms).sort((a, b) => a - b);
    const bytes = this.samples.map((s) => s.bytes).sort((a, b) => a - b);
    const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
    const at = (p: number) => `${percentileOf(ms, p).toFixed(0)} ms`;
    return (
      `p50 ${at(0.5)}, p90 ${at(0.9)}, p99 ${at(0.99)}, max ${ms.at(-1)!.toFixed(0)} ms over ${ms.length} requests` +
      `${this.failures.length ? ` (${this.failures.length} failed, first: ${this.failures[0]})` : ''}; response size median ${kib(percentileOf(bytes, 0.5))}, largest ${kib(bytes.at(-1)!)}`
    );
  }
}

/**
 * What one request of the page costs the manager, measured on its own once the campaign is over: CPU
 * seconds of the manager's tree (Node.js and PostgreSQL) over `count` requests made one after another.
 */
export async function pageCost(api: ManagerApi, path: string, managerCpuSeconds: () => number, count: number): Promise<string> {
  const before = managerCpuSeconds();
  const started = performance.now();
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const response = await api.timedGet(path, 60_000);
    if (response.status !== 200) return `page cost not measured: HTTP ${response.status}`;
    bytes = response.bytes;
  }
  const cpuMs = ((managerCpuSeconds() - before) * 1000) / count;
  return `${cpuMs.toFixed(0)} ms of manager CPU (Node.js + PostgreSQL) per request of ${(bytes / 1024).toFixed(0)} KiB, ${((performance.now() - started) / count).toFixed(0)} ms each (${count} requests one after another once the campaign ended)`;
}
