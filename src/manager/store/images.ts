// The images table: signed software images the manager has verified and stored. A row is written
// once, when the image is added, and never changes; adding the same bytes again finds the same row.
import { Batched, inAskedOrder } from './batched.ts';
import type pg from 'pg';
import type { ImageRecord } from './records.ts';

interface ImageRow {
  sha256: string;
  model: string;
  version: string;
  config_format: number;
  size: string;
  added_at: Date;
  payload_sha256: string | null;
  family: string | null;
}

const columns = 'sha256, model, version, config_format, size, added_at, payload_sha256, family';

function toRecord(row: ImageRow): ImageRecord {
  return {
    sha256: row.sha256,
    model: row.model,
    version: row.version,
    configFormat: row.config_format,
    size: Number(row.size),
    addedAt: row.added_at,
    payloadSha256: row.payload_sha256,
    family: row.family,
  };
}

export type NewImage = Omit<ImageRecord, 'addedAt'>;

/** Rows kept in memory at most; a full memory starts over (a miss costs one read). */
const rememberedRows = 1_000;

export class ImageStore {
  /**
   * Rows read, kept once whole: a row never changes but for a payload digest filled in once (an image
   * recorded before the column was), so a row with its payload digest stays true.
   */
  readonly #known = new Map<string, ImageRecord>();
  readonly #reads = new Batched<string, ImageRecord | undefined>((sha256s) => this.#getMany(sha256s));

  constructor(private readonly pool: pg.Pool) {}

  /** Records the image, or returns the row already there for the same SHA-256. `addedBy`: who added it (kept for the audit, the first time). */
  async add(image: NewImage, addedBy: string | null = null): Promise<ImageRecord> {
    await this.pool.query(
      `INSERT INTO safeflash.images (sha256, model, version, config_format, size, payload_sha256, family, added_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (sha256) DO UPDATE SET payload_sha256 = coalesce(safeflash.images.payload_sha256, EXCLUDED.payload_sha256)`,
      [image.sha256, image.model, image.version, image.configFormat, image.size, image.payloadSha256, image.family, addedBy],
    );
    const stored = await this.get(image.sha256);
    if (stored === undefined) throw new Error(`image ${image.sha256} vanished right after it was recorded`);
    return stored;
  }

  /** The image; one not remembered yet is read with the reads of other callers asking at once (a campaign's tick starting its runs). */
  async get(sha256: string): Promise<ImageRecord | undefined> {
    return this.#known.get(sha256) ?? this.#reads.run(sha256);
  }

  async #getMany(sha256s: string[]): Promise<Array<ImageRecord | undefined>> {
    const result = await this.pool.query<ImageRow>(`SELECT ${columns} FROM safeflash.images WHERE sha256 = ANY($1::text[])`, [[...new Set(sha256s)]]);
    const records = result.rows.map(toRecord);
    for (const record of records) {
      if (record.payloadSha256 === null) continue;
      if (this.#known.size >= rememberedRows) this.#known.clear();
      this.#known.set(record.sha256, record);
    }
    return inAskedOrder(sha256s, records, (record) => record.sha256);
  }

  /** Newest first. */
  async list(): Promise<ImageRecord[]> {
    const result = await this.pool.query<ImageRow>(`SELECT ${columns} FROM safeflash.images ORDER BY added_at DESC, sha256`);
    return result.rows.map(toRecord);
  }
}
