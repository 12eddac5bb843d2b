// The HTTP API of one `safeflash serve` child, as the shared-database test calls it: JSON in and out,
// the manager's operator token, every request bounded.
import type { RunEvent, RunRecord } from '../../src/manager/store/records.ts';
import type { ServeProcess } from './cli-process.ts';
import { waitFor } from './kill-manager.ts';

export interface RunDetail {
  run: RunRecord;
  timeline: RunEvent[];
}

export const finalRunStates = ['verified', 'failed', 'rolledBack', 'aborted'];

export class ManagerApi {
  constructor(private readonly manager: () => ServeProcess) {}

  /** `timeoutMs`: how long the request may take (a discovery of a whole block takes longer than most). */
  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 10_000): Promise<T> {
    const { url, token } = this.manager();
    // A Buffer goes as the image file it is; anything else as JSON.
    const payload = Buffer.isBuffer(body) ? new Uint8Array(body) : body === undefined ? undefined : JSON.stringify(body);
    const response = await fetch(`${url}${path}`, {
      method,
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        authorization: `Bearer ${token}`,
        ...(payload === undefined ? {} : { 'content-type': typeof payload === 'string' ? 'application/json' : 'application/octet-stream' }),
      },
      ...(payload === undefined ? {} : { body: payload }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  }

  run(runId: string): Promise<RunDetail> {
    return this.call<RunDetail>('GET', `/api/runs/${runId}`);
  }

  /** Polls the run until its state is one of `states`. */
  untilState(runId: string, states: string[], timeoutMs: number): Promise<RunDetail> {
    return waitFor(
      `run ${runId} to be ${states.join(' or ')}`,
      async () => {
        const detail = await this.run(runId);
        return states.includes(detail.run.state) ? detail : undefined;
      },
      timeoutMs,
      250,
    );
  }
}

/** What one manager's dashboard stream (/api/events) carried, while it is open. */
export interface EventStreamTap {
  /** runChanged events seen, in order. */
  runChanges: Array<{ runId: string; state: string }>;
  close(): void;
}

/** Opens the manager's event stream as a dashboard does and keeps what it carries. */
export async function tapEvents(manager: ServeProcess): Promise<EventStreamTap> {
  const abort = new AbortController();
  const response = await fetch(`${manager.url}/api/events?token=${manager.token}`, { signal: abort.signal });
  if (!response.ok || !response.body) throw new Error(`/api/events: ${response.status}`);
  const tap: EventStreamTap = { runChanges: [], close: () => abort.abort() };
  void (async () => {
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
          const frame = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const name = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (name === 'runChanged' && data) tap.runChanges.push(JSON.parse(data) as { runId: string; state: string });
        }
      }
    } catch {
      // closed by the test
    }
  })();
  return tap;
}
