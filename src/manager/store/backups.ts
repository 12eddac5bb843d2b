// The backups table: configuration files the manager holds (device backups, migrations of them,
// configurations operators supplied). Rows are only ever added: there is no way to delete a backup.
import type pg from 'pg';
import type { BackupKind, BackupRecord } from './records.ts';

interface BackupRow {
  sha256: string;
  device_id: number;
  run_id: string | null;
  kind: BackupKind;
  derived_from: string | null;
  config_format: number;
  config_digest: string;
  size: string;
  taken_at: Date;
}

const columns = 'sha256, device_id, run_id, kind, derived_from, config_format, config_digest, size, taken_at';

function toRecord(row: BackupRow): BackupRecord {
  return {
    sha256: row.sha256,
    deviceId: row.device_id,
    runId: row.run_id,
    kind: row.kind,
    derivedFrom: row.derived_from,
    configFormat: row.config_format,
    configDigest: row.config_digest,
    size: Number(row.size),
    takenAt: row.taken_at,
  };
}

export type NewBackup = Omit<BackupRecord, 'takenAt'>;

/** A pool, or one client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

/** Rows kept in memory at most; a full memory starts over (a miss costs one read). */
const rememberedRows = 10_000;

export class BackupStore {
  /** Rows read or written through the pool (committed): a row never changes, so a copy stays true. */
  readonly #known = new Map<string, BackupRecord>();

  constructor(private readonly pool: pg.Pool) {}

  /**
   * Records the file, or returns the row already there for the same SHA-256: identical bytes are one
   * file, first recorded by whichever device and run brought them.
   */
  async add(backup: NewBackup, db: Queryable = this.pool): Promise<BackupRecord> {
    // One statement: the row inserted, or the one there before (which the insert's snapshot sees).
    const result = await db.query<BackupRow>(
      `WITH added AS (
         INSERT INTO safeflash.backups (sha256, device_id, run_id, kind, derived_from, config_format, config_digest, size)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (sha256) DO NOTHING RETURNING ${columns}
       )
       SELECT ${columns} FROM added UNION ALL SELECT ${columns} FROM safeflash.backups WHERE sha256 = $1 AND NOT EXISTS (SELECT 1 FROM added)`,
      [backup.sha256, backup.deviceId, backup.runId, backup.kind, backup.derivedFrom, backup.configFormat, backup.configDigest, backup.size],
    );
    const row = result.rows[0];
    if (row) return this.#remembered(toRecord(row), db);
    // Another transaction added the same file while this one waited on it: its row is read afresh.
    const stored = await this.get(backup.sha256, db);
    if (stored === undefined) throw new Error(`backup ${backup.sha256} vanished right after it was recorded`);
    return stored;
  }

  async get(sha256: string, db: Queryable = this.pool): Promise<BackupRecord | undefined> {
    const known = this.#known.get(sha256);
    if (known) return known;
    const result = await db.query<BackupRow>(`SELECT ${columns} FROM safeflash.backups WHERE sha256 = $1`, [sha256]);
    return result.rows[0] ? this.#remembered(toRecord(result.rows[0]), db) : undefined;
  }

  /** Remembers a row once it is committed: read through the pool, not inside a transaction that may yet be undone. */
  #remembered(record: BackupRecord, db: Queryable): BackupRecord {
    if (db !== this.pool) return record;
    if (this.#known.size >= rememberedRows) this.#known.clear();
    this.#known.set(record.sha256, record);
    return record;
  }

  /** A device's configuration files, newest first. */
  async listForDevice(deviceId: number): Promise<BackupRecord[]> {
    const result = await this.pool.query<BackupRow>(`SELECT ${columns} FROM safeflash.backups WHERE device_id = $1 ORDER BY taken_at DESC, sha256`, [deviceId]);
    return result.rows.map(toRecord);
  }
}
