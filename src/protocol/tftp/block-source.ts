// Where the bytes of an outgoing transfer come from: a buffer in memory or a file read in large chunks.
// Blocks are always asked for in order, so a file is read ahead one chunk while the previous one is sent.
// A block already in memory is handed over synchronously: at windowsize 1 every block costs a round
// trip, and a promise plus a microtask hop per block would sit on that path. Work that can wait (the
// file's digest) is done in idle(), which the sender calls once what it could send is on the wire, so
// it overlaps with the peer's turn instead of delaying the next block.
import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

export interface BlockSource {
  /** Total size when known before sending (announced as tsize). */
  readonly size: number | undefined;
  /**
   * Copies the next `length` bytes (fewer only at the end) into target at offset; returns how many,
   * at once when they are in memory, else as a promise (one call at a time).
   */
  readNext(target: Buffer, offset: number, length: number): number | Promise<number>;
  /** Called when the sender has sent what it can and waits for the peer: a time for deferred work. */
  idle?(): void;
  close(): Promise<void>;
}

/** A source that can say what it handed out: a server records the SHA-256 of every file it served. */
export interface DigestedBlockSource extends BlockSource {
  /** SHA-256 (hex) of everything handed out so far; complete once readNext returned a short block. */
  digest(): string;
}

export class BufferBlockSource implements DigestedBlockSource {
  private position = 0;
  /** `sha256` is the whole buffer's digest when the caller already knows it (a server's cached file). */
  constructor(
    private readonly data: Buffer,
    private readonly sha256?: string,
  ) {}

  get size(): number {
    return this.data.length;
  }

  readNext(target: Buffer, offset: number, length: number): number {
    const copied = this.data.copy(target, offset, this.position, Math.min(this.position + length, this.data.length));
    this.position += copied;
    return copied;
  }

  digest(): string {
    if (this.sha256 !== undefined && this.position === this.data.length) return this.sha256;
    return createHash('sha256').update(this.data.subarray(0, this.position)).digest('hex');
  }

  async close(): Promise<void> {}
}

const CHUNK_BYTES = 1024 * 1024;
/** Bytes handed out but not yet hashed that make idle() hash them (fewer calls for small blocks). */
const HASH_BATCH_BYTES = 16 * 1024;

/**
 * Reads a file through one handle in 1 MiB chunks, double-buffered, and hashes what it handed out:
 * in idle() a batch at a time, and whatever is left of a chunk before it is replaced.
 */
export class FileBlockSource implements DigestedBlockSource {
  private current = Buffer.allocUnsafe(CHUNK_BYTES);
  private spare = Buffer.allocUnsafe(CHUNK_BYTES);
  private currentLength = 0;
  private consumed = 0;
  /** Bytes of the current chunk already hashed (always <= consumed). */
  private hashed = 0;
  private filePosition = 0;
  private ahead: Promise<number>;
  private readonly hash: Hash = createHash('sha256');

  private constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {
    this.ahead = this.readChunk(this.spare);
  }

  /** A source over a regular file already open (the source closes it). */
  static fromHandle(handle: FileHandle, size: number): FileBlockSource {
    return new FileBlockSource(handle, size);
  }

  private async readChunk(into: Buffer): Promise<number> {
    const { bytesRead } = await this.handle.read(into, 0, into.length, this.filePosition);
    this.filePosition += bytesRead;
    return bytesRead;
  }

  readNext(target: Buffer, offset: number, length: number): number | Promise<number> {
    const copied = this.copyFromCurrent(target, offset, length);
    return copied === length ? copied : this.readAcrossChunks(target, offset, length, copied);
  }

  idle(): void {
    if (this.consumed - this.hashed >= HASH_BATCH_BYTES) this.hashConsumed();
  }

  /** The current chunk ran out before `length` bytes: wait for the read-ahead (once per chunk). */
  private async readAcrossChunks(target: Buffer, offset: number, length: number, copied: number): Promise<number> {
    while (copied < length) {
      const chunkLength = await this.ahead;
      if (chunkLength === 0) break;
      this.hashConsumed(); // the whole chunk was handed out; its buffer is about to be refilled
      [this.current, this.spare] = [this.spare, this.current];
      this.currentLength = chunkLength;
      this.consumed = 0;
      this.hashed = 0;
      this.ahead = this.readChunk(this.spare);
      copied += this.copyFromCurrent(target, offset + copied, length - copied);
    }
    return copied;
  }

  private copyFromCurrent(target: Buffer, offset: number, length: number): number {
    const n = this.current.copy(target, offset, this.consumed, Math.min(this.currentLength, this.consumed + length));
    this.consumed += n;
    return n;
  }

  private hashConsumed(): void {
    if (this.consumed === this.hashed) return;
    this.hash.update(this.current.subarray(this.hashed, this.consumed));
    this.hashed = this.consumed;
  }

  digest(): string {
    this.hashConsumed();
    return this.hash.copy().digest('hex');
  }

  async close(): Promise<void> {
    await this.ahead.catch(() => 0);
    await this.handle.close();
  }
}
