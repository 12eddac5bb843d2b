// The few calls of the manager's HTTP API the fleet benchmark makes, with a clear error on any refusal.
export interface RunJson {
  id: string;
  deviceId: number;
  state: string;
  phase: string;
  createdAt: string;
  updatedAt: string;
  outcome: { state: string; summary: string; runningVersion: string | null } | null;
}

export interface RunEventJson {
  at: string;
  phase: string;
  kind: string;
  detail: Record<string, unknown>;
}

export interface RunDetailJson {
  run: RunJson;
  timeline: RunEventJson[];
}

export interface DeviceJson {
  id: number;
  name: string;
  address: string;
}

/** GET /api/campaigns/:id, the campaign page: the parts the benchmark reads. */
export interface CampaignDetailJson {
  campaign: {
    id: string;
    state: string;
    pauseCause: string | null;
    stage: { index: number; kind: string; number: number; size: number } | null;
    stages: Array<{ index: number; kind: string; number: number; size: number }>;
    counters: Record<string, number>;
    createdAt: string;
    updatedAt: string;
  };
  devices: Array<{
    deviceId: number;
    name: string;
    wave: number | null;
    stage: number | null;
    runId: string | null;
    state: string;
    attempts: number;
    cause: string | null;
    message: string | null;
    startedAt: string | null;
    updatedAt: string;
  }>;
  events: Array<{ at: string; kind: string; cause: string | null; message: string; detail: Record<string, unknown> }>;
}

/** A GET timed from the request to the last byte of the body. */
export interface TimedResponse {
  status: number;
  ms: number;
  bytes: number;
  text: string;
}

export const finalStates = new Set(['verified', 'failed', 'rolledBack', 'aborted']);

export class ManagerApi {
  /** `token`: an API token (the bench uses the operator token the manager writes in its data directory). */
  constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  async call<T>(method: string, path: string, body?: { json?: unknown; raw?: Buffer; timeoutMs?: number }): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    let payload: string | Uint8Array<ArrayBuffer> | undefined;
    if (body?.json !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body?.raw) {
      headers['content-type'] = 'application/octet-stream';
      payload = new Uint8Array(body.raw);
    }
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers,
      ...(payload !== undefined ? { body: payload } : {}),
      signal: AbortSignal.timeout(body?.timeoutMs ?? 60_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }

  async timedGet(path: string, timeoutMs: number): Promise<TimedResponse> {
    const started = performance.now();
    const response = await fetch(`${this.url}${path}`, { headers: { authorization: `Bearer ${this.token}` }, signal: AbortSignal.timeout(timeoutMs) });
    const body = Buffer.from(await response.arrayBuffer());
    return { status: response.status, ms: performance.now() - started, bytes: body.length, text: body.toString('utf8') };
  }

  /**
   * The manager's event-loop delay since the last call (its /metrics: prom-client samples how late a
   * 10 ms timer fires and starts afresh at every scrape), in ms: "p50 1 ms, p99 40 ms, max 90 ms".
   * A request to the manager waits at least this long before its handler runs.
   */
  async eventLoopDelay(): Promise<string> {
    const response = await this.timedGet('/metrics', 60_000);
    if (response.status !== 200) return `not measured: HTTP ${response.status}`;
    const read = (name: string) => {
      const line = response.text.split('\n').find((l) => l.startsWith(`safeflash_process_nodejs_eventloop_lag_${name}_seconds `));
      return line ? `${(Number(line.split(' ')[1]) * 1000).toFixed(0)} ms` : '-';
    };
    return `p50 ${read('p50')}, p90 ${read('p90')}, p99 ${read('p99')}, max ${read('max')}`;
  }

  /**
   * Runs in a state, newest first: at most 100, the list's default size. Asking by state keeps each poll
   * small however large the fleet (and `?limit=` was refused before 33a5aaa).
   */
  runsIn(state: string): Promise<RunJson[]> {
    return this.call<RunJson[]>('GET', `/api/runs?state=${state}`);
  }

  runDetail(id: string): Promise<RunDetailJson> {
    return this.call<RunDetailJson>('GET', `/api/runs/${encodeURIComponent(id)}`);
  }
}

/** Calls `work` on every item with at most `width` calls in flight. */
export async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}
