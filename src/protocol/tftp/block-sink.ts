// Where the bytes of an incoming transfer go: memory (bounded by the caller) or a file written in batches.
import { createHash, type Hash } from 'node:crypto';
import { open, unlink, type FileHandle } from 'node:fs/promises';

export interface BlockSink {
  /** Takes ownership of `data`; must not block the receiver. */
  write(data: Buffer): void;
  /** Waits until everything is stored; rejects if any write failed. */
  finish(): Promise<void>;
  /** Drops what was written. */
  abort(): Promise<void>;
}

export class MemorySink implements BlockSink {
  private readonly parts: Buffer[] = [];

  write(data: Buffer): void {
    if (data.length > 0) this.parts.push(data);
  }

  async finish(): Promise<void> {}

  async abort(): Promise<void> {
    this.parts.length = 0;
  }

  contents(): Buffer {
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
