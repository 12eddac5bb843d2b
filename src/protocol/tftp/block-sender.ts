// The sending half of a transfer (server read, client write): windowed DATA per RFC 7440.
// A window of blocks goes out back to back; the ACK of any block in it moves the window to the next
// block (so an ACK in the middle means "resend from here"). ACKs that do not move the window are
// ignored, except one per window when windows are larger than one block (the receiver's "gap"
// signal) — so a delayed duplicate never doubles the traffic (sorcerer's apprentice, RFC 1123 4.2.3.1).
import { TftpFailure } from './errors.ts';
import { DATA_HEADER_BYTES, writeDataHeader } from './packet.ts';
import type { BlockSource } from './block-source.ts';
import { RetransmitTimer, type RetryPolicy } from './retransmit-timer.ts';

export interface BlockSenderParams {
  blksize: number;
  windowsize: number;
  retry: RetryPolicy;
  source: BlockSource;
  send: (packet: Buffer) => void;
  /** Sent as "block 0" until the receiver acknowledges it (a server's OACK); absent, block 1 opens. */
  opening?: Buffer;
  /** Called with the number of bytes the receiver has acknowledged. */
  onProgress?: (bytes: number) => void;
}

export class BlockSender {
  /** One reusable packet buffer per window position; block i lives in slot i % windowsize. */
  private readonly slots: Buffer[];
  /** What is actually sent from each slot (the whole buffer, or a view for the short last block). */
  private readonly packets: Buffer[];
  /** First block not yet acknowledged (blocks count from 1 and never wrap here). */
  private base = 1;
  /** Next block the pump will send. */
  private cursor = 1;
  /** Highest block whose bytes sit in a slot. */
  private filled = 0;
  /** Highest block sent at least once. */
  private highestSent = 0;
  /** The short block that ends the file, once read. */
  private lastBlock = Number.POSITIVE_INFINITY;
  private lastBlockLength = 0;
  private restartedOnDuplicate = false;
  private pumping = false;
  private finished = false;
  private readonly timer: RetransmitTimer;
  private resolve!: (bytes: number) => void;
  private reject!: (error: unknown) => void;
  readonly done: Promise<number>;

  constructor(private readonly params: BlockSenderParams) {
    const { blksize, windowsize } = params;
    this.slots = Array.from({ length: windowsize }, () => Buffer.allocUnsafe(DATA_HEADER_BYTES + blksize));
    this.packets = [...this.slots];
    this.done = new Promise<number>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.timer = new RetransmitTimer(
      params.retry,
      () => this.sendWindowFrom(this.base),
      () => this.fail(new TftpFailure('transferTimeout', `no acknowledgement of block ${this.base} after ${params.retry.retries} retransmissions`, 0)),
    );
  }

  /** Sends the opening packet or the first window. */
  start(): Promise<number> {
    if (this.params.opening !== undefined) this.base = 0;
    this.timer.arm();
    this.sendWindowFrom(this.base);
    return this.done;
  }

  /** An ACK from the peer (block number as on the wire). */
  handleAck(wireBlock: number): void {
    if (this.finished) return;
    const previous = this.base - 1;
    const acked = previous + ((wireBlock - previous) & 0xffff);
    if (acked > this.highestSent) return; // stale (from before the last wrap) or never sent
    if (acked === previous) {
      if (this.params.windowsize > 1 && !this.restartedOnDuplicate) {
        this.restartedOnDuplicate = true;
        this.timer.arm();
        this.sendWindowFrom(this.base);
      }
      return;
    }
    this.base = acked + 1;
    this.restartedOnDuplicate = false;
    this.params.onProgress?.(acked === this.lastBlock ? this.totalBytes() : acked * this.params.blksize);
    if (this.finished) return; // the progress callback aborted the transfer
    if (acked === this.lastBlock) {
      this.finish();
      return;
    }
    // The next block goes out before the timer is touched: at windowsize 1 the peer is waiting for it.
    this.sendWindowFrom(this.base);
    this.timer.progress();
  }

  /** Stops without telling the peer (the caller decides what to send). */
  fail(error: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.timer.stop();
    this.reject(error);
  }

  private totalBytes(): number {
    return (this.lastBlock - 1) * this.params.blksize + this.lastBlockLength;
  }

  private finish(): void {
    this.finished = true;
    this.timer.stop();
    this.resolve(this.totalBytes());
  }

  /** (Re)sends from `first` to the end of the window; the caller sees to the retransmission timer. */
  private sendWindowFrom(first: number): void {
    if (first === 0 && this.params.opening !== undefined) {
      this.params.send(this.params.opening);
      return;
    }
    this.cursor = first;
    if (!this.pumping) this.pump();
  }

  /**
   * Sends from the cursor to the end of the window. Blocks in memory go out synchronously (no promise
   * or microtask per block); when the source must wait for a read, the pump pauses and resumes from
   * wherever ACKs have moved the cursor meanwhile. Once the window is out, the source gets idle().
   */
  private pump(): void {
    this.pumping = true;
    const { windowsize, blksize, send } = this.params;
    while (!this.finished && this.cursor < this.base + windowsize && this.cursor <= this.lastBlock) {
      const block = this.cursor;
      const slot = block % windowsize;
      if (block > this.filled) {
        let length: number | Promise<number>;
        try {
          length = this.params.source.readNext(this.slots[slot] as Buffer, DATA_HEADER_BYTES, blksize);
        } catch (error) {
          this.readFailed(error);
          return;
        }
        if (typeof length !== 'number') {
          length.then(
            (read) => {
              this.fill(block, read);
              this.pump();
            },
            (error: unknown) => this.readFailed(error),
          );
          return; // still pumping: the read's continuation carries on
        }
        this.fill(block, length);
      }
      send(this.packets[slot] as Buffer);
      if (block > this.highestSent) this.highestSent = block;
      this.cursor = block + 1;
    }
    this.pumping = false;
    // The window is out and the peer has its turn: the source may catch up on deferred work now.
    if (!this.finished) this.params.source.idle?.();
  }

  /** Puts the header on a block just read into its slot, and notes the short block that ends the file. */
  private fill(block: number, length: number): void {
    const slot = block % this.params.windowsize;
    const buf = this.slots[slot] as Buffer;
    writeDataHeader(buf, block);
    this.filled = block;
    if (length < this.params.blksize) {
      this.lastBlock = block;
      this.lastBlockLength = length;
      this.packets[slot] = buf.subarray(0, DATA_HEADER_BYTES + length);
    }
  }

  private readFailed(error: unknown): void {
    this.pumping = false;
    this.fail(new TftpFailure('protocolError', `cannot read the data to send: ${error instanceof Error ? error.message : String(error)}`, 0));
  }
}
