// Live events across managers: what one manager's runs and campaigns do is shown live by every
// manager's dashboard. Each manager publishes its own events on a PostgreSQL channel (NOTIFY, batched
// every tenth of a second). Its view (what its dashboards and API stream) carries its own events and
// those the others publish; its own parts (metrics, logs) keep listening to its own events only, so
// that nothing is counted twice across managers. A dashboard
// that misses an event (a reconnect, a restart) re-reads the API, which is the truth: the relay is a
// view, never a record, and nothing waits for it.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { LiveEventMap, LiveEventName, LiveEvents } from '../live-events.ts';
import { liveEventNames } from '../live-events.ts';

const channel = 'safeflash_live';
/** NOTIFY's payload must stay under 8000 bytes; a batch is cut below that. */
const maxPayloadBytes = 7000;
const batchMs = 100;

type Relayed = { [K in LiveEventName]: { name: K; event: LiveEventMap[K] } }[LiveEventName];

interface Batch {
  from: string;
  events: Relayed[];
}

export interface LiveRelayOptions {
  databaseUrl: string;
  /** This manager's executor ID: its own events come back on the channel and are not shown twice. */
  self: string;
  /** This manager's own events. */
  local: LiveEvents;
  /** What this manager shows: its own events and the other managers'. */
  view: LiveEvents;
  onError: (error: Error) => void;
}

export class LiveRelay {
  private listener: pg.Client | undefined;
  private readonly publisher: pg.Pool;
  private pending: Relayed[] = [];
  private flushing: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly unsubscribe: Array<() => void>;

  private constructor(private readonly options: LiveRelayOptions) {
    this.publisher = new pg.Pool({ connectionString: options.databaseUrl, max: 1 });
    this.publisher.on('error', () => {}); // an idle connection cut: the next NOTIFY opens another
    this.unsubscribe = liveEventNames.map((name) =>
      options.local.on(name, (event) => {
        options.view.emit(name, event as never);
        this.queue({ name, event } as Relayed);
      }),
    );
  }

  static async start(options: LiveRelayOptions): Promise<LiveRelay> {
    const relay = new LiveRelay(options);
    await relay.listen();
    return relay;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    clearTimeout(this.flushing);
    await this.flush();
    await this.listener?.end().catch(() => {});
    await this.publisher.end().catch(() => {});
  }

  private queue(relayed: Relayed): void {
    if (this.stopped) return;
    this.pending.push(relayed);
    this.flushing ??= setTimeout(() => {
      this.flushing = undefined;
      void this.flush();
    }, batchMs);
  }

  private async flush(): Promise<void> {
    const events = this.pending;
    this.pending = [];
    let batch: Relayed[] = [];
    let size = 0;
    const send = async () => {
      if (batch.length === 0) return;
      const payload = JSON.stringify({ from: this.options.self, events: batch } satisfies Batch);
      batch = [];
      size = 0;
      await this.publisher.query('SELECT pg_notify($1, $2)', [channel, payload]).catch((error: Error) => this.options.onError(error));
    };
    for (const relayed of events) {
      const bytes = Buffer.byteLength(JSON.stringify(relayed));
      if (bytes > maxPayloadBytes) continue; // no event is this large; one that is would not fit any NOTIFY
      if (size + bytes > maxPayloadBytes) await send();
      batch.push(relayed);
      size += bytes;
    }
    await send();
  }

  /** Listens on the channel; after a lost connection (a PostgreSQL restart), listens again. */
  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.databaseUrl });
    client.on('notification', (message) => this.receive(message.payload));
    client.on('error', (error) => {
      this.options.onError(error);
      void this.relisten(client);
    });
    client.on('end', () => void this.relisten(client));
    await client.connect();
    await client.query(`LISTEN ${channel}`);
    this.listener = client;
  }

  private async relisten(lost: pg.Client): Promise<void> {
    if (this.stopped || this.listener !== lost) return;
    this.listener = undefined;
    for (let delayMs = 250; !this.stopped; delayMs = Math.min(delayMs * 2, 5000)) {
      await sleep(delayMs);
      try {
        await this.listen();
        return;
      } catch (error) {
        this.options.onError(error as Error);
      }
    }
  }

  private receive(payload: string | undefined): void {
    let batch: Batch;
    try {
      batch = JSON.parse(payload ?? '') as Batch;
    } catch {
      return; // not ours
    }
    if (batch.from === this.options.self || !Array.isArray(batch.events)) return;
    for (const { name, event } of batch.events) if (liveEventNames.includes(name)) this.options.view.emit(name, event as never);
  }
}
