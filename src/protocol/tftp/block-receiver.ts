// The receiving half of a transfer (client read, server write): windowed ACKs per RFC 7440.
// The next block in order is taken; an ACK goes out after every `windowsize` blocks and after the
// short last block. A block out of order (lost or duplicate) is answered with one ACK of the last
// block in order, which makes the sender resend from there; further strays are ignored until the
// stream moves again, so a burst of strays never becomes a burst of resends.
import { TftpFailure } from './errors.ts';
import { TftpErrorCode, encodeAck } from './packet.ts';
import type { BlockSink } from './block-sink.ts';
import { RetransmitTimer, type RetryPolicy } from './retransmit-timer.ts';

export interface BlockReceiverParams {
  blksize: number;
  windowsize: number;
  retry: RetryPolicy;
  sink: BlockSink;
  send: (packet: Buffer) => void;
  /** What to resend while block 1 has not arrived (OACK, ACK 0); undefined when block 1 is fed directly. */
  opening?: Buffer;
  /** Bytes beyond which the transfer is refused with error 3. */
  maxBytes?: number;
  onProgress?: (bytes: number) => void;
  /**
   * Hold the final ACK until confirmLast() — a server stores the file first, so a client that saw
   * the final ACK knows its upload is safely on disk (and hears an ERROR instead if storing failed).
   */
  holdFinalAck?: boolean;
}

export class BlockReceiver {
  /** Next block expected (counting from 1, never wrapping here). */
  private next = 1;
  private blocksSinceAck = 0;
  private strayAnswered = false;
  private lastAck: Buffer | undefined;
  private bytes = 0;
  private finished = false;
  private finalAckHeld = false;
  private readonly timer: RetransmitTimer;
  private resolve!: (bytes: number) => void;
  private reject!: (error: unknown) => void;
  readonly done: Promise<number>;

  constructor(private readonly params: BlockReceiverParams) {
    this.lastAck = params.opening;
    this.done = new Promise<number>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.timer = new RetransmitTimer(
      params.retry,
      () => {
        this.strayAnswered = false;
        if (this.lastAck !== undefined) params.send(this.lastAck);
      },
      () => this.fail(new TftpFailure('transferTimeout', `no DATA block ${this.next} after ${params.retry.retries} retransmissions`, 0)),
    );
  }

  /** Sends the opening packet, if any, and starts waiting. */
  start(): Promise<number> {
    if (this.lastAck !== undefined) this.params.send(this.lastAck);
    this.timer.arm();
    return this.done;
  }

  get complete(): boolean {
    return this.finished;
  }

  /** A DATA packet from the peer (block number as on the wire). */
  handleData(wireBlock: number, data: Buffer): void {
    if (this.finished) {
      // Our final ACK was lost and the last block came again: acknowledge it again (the dally).
      if (!this.finalAckHeld && this.lastAck !== undefined && wireBlock === ((this.next - 1) & 0xffff)) this.params.send(this.lastAck);
      return;
    }
    const { blksize, windowsize, send } = this.params;
    if (wireBlock !== (this.next & 0xffff)) {
      if (windowsize === 1 || !this.strayAnswered) {
        this.strayAnswered = true;
        this.blocksSinceAck = 0;
        if (this.next > 1) this.acknowledge(this.next - 1);
        else if (this.lastAck !== undefined) send(this.lastAck);
      }
      return;
    }
    if (data.length > blksize) {
      this.fail(
        new TftpFailure('protocolError', `DATA block ${this.next} carries ${data.length} bytes, more than blksize ${blksize}`, TftpErrorCode.illegalOperation),
      );
      return;
    }
    this.bytes += data.length;
    if (this.params.maxBytes !== undefined && this.bytes > this.params.maxBytes) {
      this.fail(new TftpFailure('tooLarge', `transfer exceeds the limit of ${this.params.maxBytes} bytes`, TftpErrorCode.diskFull));
      return;
    }
    this.params.sink.write(data);
    this.strayAnswered = false;
    const block = this.next;
    this.next += 1;
    this.blocksSinceAck += 1;
    const last = data.length < blksize;
    if (last && this.params.holdFinalAck === true) {
      this.finalAckHeld = true;
      this.lastAck = encodeAck(block);
    } else if (last || this.blocksSinceAck >= windowsize) {
      this.acknowledge(block);
      this.params.onProgress?.(this.bytes);
      if (this.finished) return; // the progress callback aborted the transfer
    }
    if (last) {
      this.finished = true;
      this.timer.stop();
      this.resolve(this.bytes);
      return;
    }
    this.timer.progress();
  }

  /** Sends the final ACK held back by holdFinalAck. */
  confirmLast(): void {
    if (!this.finalAckHeld || this.lastAck === undefined) return;
    this.finalAckHeld = false;
    this.params.send(this.lastAck);
  }

  fail(error: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.lastAck = undefined;
    this.timer.stop();
    this.reject(error);
  }

  private acknowledge(block: number): void {
    this.blocksSinceAck = 0;
    this.lastAck = encodeAck(block);
    this.params.send(this.lastAck);
  }
}
