// One client's server-sent event stream. Changes are queued per thing they are about (a run, a
// campaign, a device) so that a slow reader gets the latest state of each, not a backlog; the queue is
// flushed in batches, only when the socket can take more, and bounded: past its limit it is dropped
// and the client is told to re-read everything (event `resync`).
import type { ServerResponse } from 'node:http';
import type { LiveEventMap, LiveEventName } from '../../manager/live-events.ts';

export interface EventStreamOptions {
  /** Most distinct things queued before the client is told to resync instead. */
  queueLimit: number;
  /** How long changes gather before they are written together. */
  batchMs: number;
  /** A comment line this often keeps proxies and the browser from closing a quiet stream. */
  keepAliveMs: number;
}

export const defaultEventStreamOptions: EventStreamOptions = { queueLimit: 10_000, batchMs: 100, keepAliveMs: 15_000 };

type Queued = { name: string; data: unknown };

function keyOf<K extends LiveEventName>(name: K, event: LiveEventMap[K]): string {
  if (name === 'runChanged') return `run:${(event as LiveEventMap['runChanged']).runId}`;
  if (name === 'campaignChanged') return `campaign:${(event as LiveEventMap['campaignChanged']).campaignId}`;
  return `device:${(event as LiveEventMap['deviceChanged']).deviceId}`;
}

/** A progress report must not erase the timeline line an earlier change of the same run carried. */
function merge(older: Queued | undefined, newer: Queued): Queued {
  if (!older || newer.name !== 'runChanged' || older.name !== 'runChanged') return newer;
  const last = (older.data as LiveEventMap['runChanged']).lastEvent;
  const data = newer.data as LiveEventMap['runChanged'];
  return data.lastEvent || !last ? newer : { name: newer.name, data: { ...data, lastEvent: last } };
}

function frame(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

export class EventStream {
  readonly #queue = new Map<string, Queued>();
  #overflowed = false;
  #batch: NodeJS.Timeout | undefined;
  #keepAlive: NodeJS.Timeout;
  #closed = false;

  constructor(
    private readonly response: ServerResponse,
    private readonly options: EventStreamOptions = defaultEventStreamOptions,
  ) {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // `hello` on every (re)connection: the page re-reads what it shows, since it may have missed changes.
    response.write(`retry: 3000\n${frame('hello', { at: new Date().toISOString() })}`);
    response.on('drain', () => this.#flush());
    this.#keepAlive = setInterval(() => {
      if (!response.writableNeedDrain) response.write(': keep-alive\n\n');
    }, options.keepAliveMs);
    this.#keepAlive.unref();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** How many things wait to be written (for tests and metrics). */
  get queued(): number {
    return this.#queue.size;
  }

  send<K extends LiveEventName>(name: K, event: LiveEventMap[K]): void {
    if (this.#closed) return;
    if (this.#overflowed) return;
    const key = keyOf(name, event);
    if (!this.#queue.has(key) && this.#queue.size >= this.options.queueLimit) {
      this.#queue.clear();
      this.#overflowed = true;
    } else {
      this.#queue.set(key, merge(this.#queue.get(key), { name, data: event }));
    }
    this.#batch ??= setTimeout(() => {
      this.#batch = undefined;
      this.#flush();
    }, this.options.batchMs);
  }

  #flush(): void {
    if (this.#closed || this.response.writableNeedDrain) return;
    if (this.#overflowed) {
      this.#overflowed = false;
      this.response.write(frame('resync', { reason: 'too many changes queued for this client' }));
      return;
    }
    if (this.#queue.size === 0) return;
    let chunk = '';
    for (const { name, data } of this.#queue.values()) chunk += frame(name, data);
    this.#queue.clear();
    this.response.write(chunk);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#keepAlive);
    if (this.#batch) clearTimeout(this.#batch);
    this.#queue.clear();
    if (!this.response.writableEnded) this.response.end();
  }
}
