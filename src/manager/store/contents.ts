// The contents tables: every stored file's bytes, once for all managers on the database, in chunks
// keyed by the file's SHA-256. Rows are only ever added; a file's row and its chunks are written in
// one transaction (one statement for a file of one chunk), so a file is either wholly there or not at all.
import type pg from 'pg';
import type { Queryable } from './backups.ts';
import { inTransaction } from './transaction.ts';

/** Small enough that a chunk is one modest bytea value, large enough that an image is a few rows. */
const contentChunkBytes = 1024 * 1024;

/** Files known to be stored, kept in memory at most; a full memory starts over. */
const rememberedFiles = 10_000;

export class ContentTable {
  /** Files known to be wholly stored (committed): rows are only ever added. */
  readonly #stored = new Set<string>();

  constructor(private readonly pool: pg.Pool) {}

  /**
   * Keeps `bytes` under `sha256` (the caller computed it); nothing happens when they are already there.
   * `db`: the caller's transaction, which the file is written in (and is there once it commits).
   */
  async put(sha256: string, bytes: Buffer, db?: Queryable): Promise<void> {
    if (this.#stored.has(sha256)) return;
    const chunks = Math.ceil(bytes.length / contentChunkBytes);
    if (chunks === 1) {
      // A file of one chunk (a configuration) is one statement: its row, and its chunk only when the row is new.
      await (db ?? this.pool).query(
        `WITH added AS (
           INSERT INTO safeflash.contents (sha256, size, chunks) VALUES ($1, $2, 1) ON CONFLICT (sha256) DO NOTHING RETURNING sha256
         )
         INSERT INTO safeflash.content_chunks (sha256, seq, bytes) SELECT sha256, 0, $3 FROM added`,
        [sha256, bytes.length, bytes],
      );
      if (db === undefined) this.#remember(sha256);
      return;
    }
    const write = async (db: Queryable) => {
      // Two managers storing the same file at once: the second waits on the first's row and adds nothing.
      const added = await db.query('INSERT INTO safeflash.contents (sha256, size, chunks) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING', [
        sha256,
        bytes.length,
        chunks,
      ]);
      if (added.rowCount === 0) return;
      for (let seq = 0; seq < chunks; seq++) {
        const chunk = bytes.subarray(seq * contentChunkBytes, (seq + 1) * contentChunkBytes);
        await db.query('INSERT INTO safeflash.content_chunks (sha256, seq, bytes) VALUES ($1, $2, $3)', [sha256, seq, chunk]);
      }
    };
    if (db !== undefined) return write(db);
    // One transaction, whether the file is new or there already (its row says so; its chunks are only sent when new).
    await inTransaction(this.pool, write);
    this.#remember(sha256);
  }

  async has(sha256: string): Promise<boolean> {
    if (this.#stored.has(sha256)) return true;
    const result = await this.pool.query('SELECT 1 FROM safeflash.contents WHERE sha256 = $1', [sha256]);
    if (result.rowCount === 1) this.#remember(sha256);
    return result.rowCount === 1;
  }

  #remember(sha256: string): void {
    if (this.#stored.size >= rememberedFiles) this.#stored.clear();
    this.#stored.add(sha256);
  }

  /** The bytes stored under `sha256` (not checked here: the caller checks them against the digest), or undefined. */
  async read(sha256: string): Promise<Buffer | undefined> {
    const file = await this.pool.query<{ size: string; chunks: number }>('SELECT size, chunks FROM safeflash.contents WHERE sha256 = $1', [sha256]);
    const row = file.rows[0];
    if (row === undefined) return undefined;
    const parts: Buffer[] = [];
    // One chunk per query: a large image never sits twice in memory as one result.
    for (let seq = 0; seq < row.chunks; seq++) {
      const chunk = await this.pool.query<{ bytes: Buffer }>('SELECT bytes FROM safeflash.content_chunks WHERE sha256 = $1 AND seq = $2', [sha256, seq]);
      const bytes = chunk.rows[0]?.bytes;
      if (bytes === undefined) throw new Error(`stored file ${sha256} lacks its chunk ${seq}`);
      parts.push(bytes);
    }
    const bytes = Buffer.concat(parts);
    if (bytes.length !== Number(row.size)) throw new Error(`stored file ${sha256} has ${bytes.length} bytes, not ${row.size}`);
    return bytes;
  }
}
