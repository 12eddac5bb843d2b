// A PostgreSQL channel (LISTEN/NOTIFY) the managers sharing a database tell each other what happens
// live on: a payload published by one reaches every manager listening. Delivery is best effort, as
// NOTIFY's is: nothing is stored, and a listener that lost its connection listens again. The live
// events' channel by default; the operations' wake-ups have their own (store/operation-routes.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

const liveChannel = 'safeflash_live';

export class LiveChannel {
  private listener: pg.Client | undefined;
  private readonly publisher: pg.Pool;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly onError: (error: Error) => void,
    private readonly channel: string = liveChannel,
  ) {
    this.publisher = new pg.Pool({ connectionString: url, max: 1 });
    this.publisher.on('error', () => {}); // an idle connection cut: the next publish opens another
  }

  /** Sends `payload` (NOTIFY's limit: under 8000 bytes) to every manager listening; errors are reported, not thrown. */
  async publish(payload: string): Promise<void> {
    await this.publisher.query('SELECT pg_notify($1, $2)', [this.channel, payload]).catch((error: Error) => this.onError(error));
  }

  /** Hands every payload published from now on to `receive`; after a lost connection (a PostgreSQL restart), listens again. */
  async listen(receive: (payload: string) => void): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (message) => receive(message.payload ?? ''));
    client.on('error', (error) => {
      this.onError(error);
      void this.relisten(client, receive);
    });
    client.on('end', () => void this.relisten(client, receive));
    await client.connect();
    await client.query(`LISTEN ${this.channel}`);
    this.listener = client;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.listener?.end().catch(() => {});
    await this.publisher.end().catch(() => {});
  }

  private async relisten(lost: pg.Client, receive: (payload: string) => void): Promise<void> {
    if (this.closed || this.listener !== lost) return;
    this.listener = undefined;
    for (let delayMs = 250; !this.closed; delayMs = Math.min(delayMs * 2, 5000)) {
      await sleep(delayMs);
      try {
        await this.listen(receive);
        return;
      } catch (error) {
        this.onError(error as Error);
      }
    }
  }
}
