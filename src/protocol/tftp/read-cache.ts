// Files that many devices fetch at once (one image for a whole wave) are read and hashed once, then
// served from memory. Each transfer of a file read from disk costs two 1 MiB buffers, the reads and a
// SHA-256 of the whole file; a fleet fetching one image paid that once per device, and the buffers'
// churn drove the manager's garbage collector as much as its own work did.
//
// An entry is known by the identity of what was read: device, inode, size and the modification and
// change times in nanoseconds, taken from the open handle before and after the read. A file written in
// place or replaced gets a new identity, so it is read afresh; content that changed while it was read
// is served as read (its digest says what went out) but not kept. When nothing was opened for a
// while (the night's waves are over), everything is let go: a server at rest holds no file.
import { createHash } from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { BufferBlockSource, FileBlockSource, type DigestedBlockSource } from './block-source.ts';

export const DEFAULT_READ_CACHE_BYTES = 256 * 1024 * 1024;
const DEFAULT_IDLE_MS = 5 * 60_000;

export interface ReadCacheOptions {
  /** Memory for files (default 256 MiB); a file larger than half of it is read per transfer instead. */
  maxBytes?: number;
  /** Everything is let go after this long without a file opened (default 5 minutes). */
  idleMs?: number;
}

interface Entry {
  data: Buffer;
  sha256: string;
}

/** A file held, or being loaded: its size counts against the budget from the start of the load. */
interface Slot {
  entry: Promise<Entry | undefined>;
  bytes: number;
}

export class ReadCache {
  /** In order of last use, oldest first; a load under way is there as its promise, so callers share it. */
  private readonly slots = new Map<string, Slot>();
  private bytes = 0;
  private readonly maxBytes: number;
  private readonly idleMs: number;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(options: ReadCacheOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_READ_CACHE_BYTES;
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  }

  /** Entries held and their bytes (for tests and diagnosis). */
  get size(): { files: number; bytes: number } {
    return { files: this.slots.size, bytes: this.bytes };
  }

  /** Whether the file at `path`, as it is now, is held in memory. */
  async holds(path: string): Promise<boolean> {
    const stats = await stat(path, { bigint: true });
    return this.slots.has(identity(stats));
  }

  /** A source for one transfer of the file at `path`: its content in memory, or read from disk when too large. */
  async open(path: string): Promise<DigestedBlockSource> {
    this.restartIdleTimer();
    const handle = await open(path, 'r');
    let handedOver = false;
    try {
      const before = await handle.stat({ bigint: true });
      if (!before.isFile()) throw new Error(`${path} is not a regular file`);
      if (Number(before.size) * 2 > this.maxBytes) {
        handedOver = true;
        return FileBlockSource.fromHandle(handle, Number(before.size));
      }
      const key = identity(before);
      let slot = this.slots.get(key);
      if (slot) {
        this.slots.delete(key); // re-inserted below: now the most recently used
      } else {
        slot = { entry: Promise.resolve(undefined), bytes: Number(before.size) };
        slot.entry = this.load(handle, key, slot);
        this.bytes += slot.bytes;
      }
      this.slots.set(key, slot);
      const entry = await slot.entry;
      if (entry) {
        this.evict();
        return new BufferBlockSource(entry.data, entry.sha256);
      }
      // The file changed while it was read: read it again for this transfer, outside the cache.
      handedOver = true;
      return FileBlockSource.fromHandle(handle, Number((await handle.stat({ bigint: true })).size));
    } finally {
      if (!handedOver) await handle.close();
    }
  }

  private async load(handle: FileHandle, key: string, slot: Slot): Promise<Entry | undefined> {
    try {
      const data = await handle.readFile();
      const after = await handle.stat({ bigint: true });
      if (identity(after) !== key || data.length !== slot.bytes) {
        this.forget(key, slot);
        return undefined;
      }
      return { data, sha256: createHash('sha256').update(data).digest('hex') };
    } catch (error) {
      this.forget(key, slot);
      throw error;
    }
  }

  private restartIdleTimer(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      for (const [key, slot] of [...this.slots]) this.forget(key, slot);
    }, this.idleMs);
    this.idleTimer.unref();
  }

  /** Drops the slot, unless another took its key meanwhile (a load that failed after an eviction). */
  private forget(key: string, slot: Slot): void {
    if (this.slots.get(key) !== slot) return;
    this.slots.delete(key);
    this.bytes -= slot.bytes;
  }

  /** Drops the least recently used entries beyond the budget; transfers under way keep their buffers. */
  private evict(): void {
    for (const [key, slot] of this.slots) {
      if (this.bytes <= this.maxBytes) return;
      this.forget(key, slot);
    }
  }
}

function identity(stats: BigIntStats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
}
