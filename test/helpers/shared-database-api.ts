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

  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const { url, token } = this.manager();
    // A Buffer goes as the image file it is; anything else as JSON.
    const payload = Buffer.isBuffer(body) ? new Uint8Array(body) : body === undefined ? undefined : JSON.stringify(body);
    const response = await fetch(`${url}${path}`, {
      method,
      signal: AbortSignal.timeout(10_000),
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
