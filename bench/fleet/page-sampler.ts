// The campaign page as an operator's dashboard asks for it while the campaign runs: one GET every
// `intervalMs`, timed to the last byte; the next request waits for the one before it (a slow page is
// not asked twice at once), so a page slower than the interval is simply sampled less often. Keeps
// every timing and size, and the latest page for the bench to follow.
//
// The requests are made and timed by a process of their own (page-sampler-process.ts), as by an
// operator's browser: the bench's own process reads /proc for every PostgreSQL process each second,
// and a page answered while it did so was timed late by as much.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ManagerApi } from './api.ts';
import { percentileOf } from './mode.ts';
import type { SamplerMessage, SamplerSetup } from './page-sampler-process.ts';

export interface PageSample {
  at: number;
  ms: number;
  bytes: number;
  /** The baseline request's time, asked right after the page. */
  baselineMs?: number;
}

export class PageSampler<T> {
  readonly samples: PageSample[] = [];
  readonly failures: string[] = [];
  private latestText: string | undefined;
  private sampler: ChildProcess | undefined;
  private ended: Promise<void> | undefined;

  constructor(
    private readonly api: ManagerApi,
    private readonly path: string,
    private readonly intervalMs: number,
    private readonly timeoutMs = 60_000,
    /**
     * A request the manager answers without its database, timed right after each page: what any
     * request waited on the busy machine (the manager's event loop, the CPU), apart from the page's own work.
     */
    private readonly baselinePath?: string,
  ) {}

  /** The latest page answered, parsed when asked for. */
  get latest(): T | undefined {
    return this.latestText === undefined ? undefined : (JSON.parse(this.latestText) as T);
  }

  start(): void {
    const setup: SamplerSetup = {
      url: this.api.url,
      token: this.api.token,
      path: this.path,
      ...(this.baselinePath ? { baselinePath: this.baselinePath } : {}),
      intervalMs: this.intervalMs,
      timeoutMs: this.timeoutMs,
    };
    const sampler = fork(fileURLToPath(new URL('./page-sampler-process.ts', import.meta.url)), {
      execArgv: process.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    sampler.on('message', (message: SamplerMessage) => {
      if (message.kind === 'sample') {
        this.samples.push(message.sample);
        this.latestText = message.text;
      } else this.failures.push(message.failure);
    });
    this.ended = new Promise((resolve) => {
      sampler.once('exit', () => resolve());
      sampler.once('error', (error) => {
        this.failures.push(`sampler process: ${error.message}`);
        resolve();
      });
    });
    sampler.send(setup);
    this.sampler = sampler;
  }

  /** Waits for the request in flight, if any. */
  async stop(): Promise<void> {
    if (this.sampler?.connected) this.sampler.send('stop');
    await this.ended;
  }

  /** The baseline request's times, as describe() gives the page's: "p50 …, p90 …, p99 …, max … over N requests". */
  describeBaseline(): string | undefined {
    const ms = this.samples.flatMap((s) => (s.baselineMs === undefined ? [] : [s.baselineMs])).sort((a, b) => a - b);
    if (ms.length === 0) return undefined;
    const at = (p: number) => `${percentileOf(ms, p).toFixed(0)} ms`;
    return `p50 ${at(0.5)}, p90 ${at(0.9)}, p99 ${at(0.99)}, max ${ms.at(-1)!.toFixed(0)} ms over ${ms.length} requests`;
  }

  /** "p50 12 ms, p90 30 ms, p99 80 ms, max 95 ms over 600 requests (the first 20 ms); response 1.2 MiB (largest 1.3 MiB)". */
  describe(): string {
    if (this.samples.length === 0) return `no answer (${this.failures.length} failed${this.failures[0] ? `, first: ${this.failures[0]}` : ''})`;
    const ms = this.samples.map((s) => s.ms).sort((a, b) => a - b);
    const bytes = this.samples.map((s) => s.bytes).sort((a, b) => a - b);
    const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
    const at = (p: number) => `${percentileOf(ms, p).toFixed(0)} ms`;
    return (
      `p50 ${at(0.5)}, p90 ${at(0.9)}, p99 ${at(0.99)}, max ${ms.at(-1)!.toFixed(0)} ms over ${ms.length} requests (the first ${this.samples[0]!.ms.toFixed(0)} ms)` +
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
