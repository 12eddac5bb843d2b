// Where the bytes of an incoming transfer go: memory (bounded by the caller) or a file written in batches.
import { createHash, type Hash } from 'node:crypto';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { lendBuffer, releaseDownload } from './download-buffers.ts';

export interface BlockSink {
  /** Takes ownership of `data`; must not block the receiver. */
  write(data: Buffer): void;
  /** The size the peer announced (tsize), before the first block: a hint, the peer may be wrong. */
  expect?(bytes: number): void;
  /** Waits until everything is stored; rejects if any write failed. */
  finish(): Promise<void>;
  /** Drops what was written. */
  abort(): Promise<void>;
}

/** An announced size beyond this is not taken on trust: the blocks are kept as they come. */
const maxPreallocatedBytes = 64 * 1024 * 1024;

/**
 * Collects a transfer in memory. With the size announced, blocks are copied as they come into one
 * buffer of that size (lent by download-buffers.ts: its taker may give it back), which is then the
 * contents: no block is kept, nothing is copied twice. Without it (or once the peer sends more than it
 * announced), blocks are kept and joined at the end.
 */
export class MemorySink implements BlockSink {
  private parts: Buffer[] = [];
  private whole: Buffer | undefined;
  private filled = 0;
  /** Whether contents() has handed the buffer out: it is then its taker's to give back. */
  private handedOut = false;

  expect(bytes: number): void {
    if (this.filled === 0 && this.parts.length === 0 && bytes > 0 && bytes <= maxPreallocatedBytes) this.whole = lendBuffer(bytes);
  }

  write(data: Buffer): void {
    if (data.length === 0) return;
    const whole = this.whole;
    if (whole !== undefined && this.filled + data.length <= whole.length) {
      whole.set(data, this.filled);
      this.filled += data.length;
      return;
    }
    if (whole !== undefined) {
      // More than announced: keep what came so far as the first part and carry on block by block.
      this.parts = [whole.subarray(0, this.filled)];
      this.whole = undefined;
    }
    this.parts.push(data);
  }

  async finish(): Promise<void> {}

  async abort(): Promise<void> {
    // Nobody else has seen the buffer of a transfer that failed: it can carry the next one.
    if (this.whole !== undefined && !this.handedOut) releaseDownload(this.whole);
    this.parts.length = 0;
    this.whole = undefined;
    this.filled = 0;
  }

  contents(): Buffer {
    if (this.whole !== undefined) {
      this.handedOut = true;
      return this.whole.subarray(0, this.filled);
    }
    return Buffer.concat(this.parts);
  }
}

const BATCH_BYTES = 1024 * 1024;

/** Writes to a new file in batches of about 1 MiB (one writev each) and hashes what it got. */
export class FileSink implements BlockSink {
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private flushed: Promise<void> = Promise.resolve();
  private failure: unknown;
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
  ) {}

  /** Creates the file; refuses to touch one that already exists. */
  static async create(path: string): Promise<FileSink> {
    return new FileSink(await open(path, 'wx', 0o640), path);
  }

  write(data: Buffer): void {
    this.hash.update(data);
    this.bytes += data.length;
    this.batch.push(data);
    this.batchBytes += data.length;
    if (this.batchBytes >= BATCH_BYTES) this.flush();
  }

  private flush(): void {
    const batch = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    this.flushed = this.flushed.then(async () => {
      if (this.failure !== undefined) return;
      try {
        await this.handle.writev(batch);
      } catch (error) {
        this.failure = error;
      }
    });
  }

  digest(): string {
    return this.hash.copy().digest('hex');
  }

  async finish(): Promise<void> {
    this.flush();
    await this.flushed;
    await this.handle.close();
    if (this.failure !== undefined) {
      await unlink(this.path).catch(() => undefined);
      throw this.failure;
    }
  }

  async abort(): Promise<void> {
    this.batch = [];
    await this.flushed;
    await this.handle.close().catch(() => undefined);
    await unlink(this.path).catch(() => undefined);
  }
}
