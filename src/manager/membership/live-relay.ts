// Live events across managers: what one manager's runs and campaigns do is shown live by every
// manager's dashboard. Each manager publishes its own events on a PostgreSQL channel (NOTIFY, batched
// every tenth of a second). Its view (what its dashboards and API stream) carries its own events and
// those the others publish; its own parts (metrics, logs) keep listening to its own events only, so
// that nothing is counted twice across managers. A dashboard that misses an event (a reconnect, a
// restart) re-reads the API, which is the truth: the relay is a view, never a record, and nothing
// waits for it.
import type { LiveEventMap, LiveEventName, LiveEvents } from '../live-events.ts';
import { liveEventNames } from '../live-events.ts';
import { LiveChannel } from '../store/live-channel.ts';

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
  private readonly channel: LiveChannel;
  private pending: Relayed[] = [];
  private flushing: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly unsubscribe: Array<() => void>;

  private constructor(private readonly options: LiveRelayOptions) {
    this.channel = new LiveChannel(options.databaseUrl, options.onError);
    this.unsubscribe = liveEventNames.map((name) =>
      options.local.on(name, (event) => {
        options.view.emit(name, event as never);
        this.queue({ name, event } as Relayed);
      }),
    );
  }

  static async start(options: LiveRelayOptions): Promise<LiveRelay> {
    const relay = new LiveRelay(options);
    await relay.channel.listen((payload) => relay.receive(payload));
    return relay;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    clearTimeout(this.flushing);
    await this.flush();
    await this.channel.close();
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
      await this.channel.publish(payload);
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

  private receive(payload: string): void {
    let batch: Batch;
    try {
      batch = JSON.parse(payload) as Batch;
    } catch {
      return; // not ours
    }
    if (batch.from === this.options.self || !Array.isArray(batch.events)) return;
    for (const { name, event } of batch.events) if (liveEventNames.includes(name)) this.options.view.emit(name, event as never);
  }
}
