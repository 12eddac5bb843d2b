// The file_offers table: every name and set of FTP credentials handed to a device, with what became
// of it. Kept so that a manager restarted mid-run honours the offers its runs already recorded.
import { inTransaction } from './transaction.ts';
import { Batched } from './batched.ts';
import type pg from 'pg';
import type { Endpoint } from '../../protocol/endpoint.ts';
import type { TransferProtocol } from '../../protocol/transfer-contract.ts';
import type { Queryable } from './backups.ts';
import type { FileOffer, OfferDirection, OfferedContent, OfferState } from '../files/file-offer.ts';
import { isBackupFailure, type BackupFailure } from '../files/backup-error.ts';
import { passwordSha256 } from '../../protocol/ftp/issued-transfers.ts';

export interface OfferRecord {
  protocol: TransferProtocol;
  fileName: string;
  direction: OfferDirection;
  server: Endpoint;
  /** read offers: what is served. */
  content: { kind: OfferedContent; sha256: string } | null;
  /** ftp offers: the user name, and only the SHA-256 of the password (the device holds the password). */
  credentials: { username: string; passwordSha256: string } | null;
  /** write offers: the upload cap. */
  maxBytes: number | null;
  state: OfferState;
  expiresAt: Date;
  /** Bytes moved, once used. */
  bytes: number | null;
  /** collected write offers: the backup the upload became. */
  backupSha256: string | null;
  rejection: BackupFailure | null;
  /** write offers, once used: the upload as it arrived, in the shared store (any manager can collect it). */
  uploadSha256: string | null;
}

export type NewOffer = Omit<OfferRecord, 'state' | 'bytes' | 'backupSha256' | 'rejection' | 'uploadSha256' | 'credentials'> & {
  /** ftp offers, as issued: the password is handed to the device and never stored. */
  credentials: { username: string; password: string } | null;
};

interface OfferRow {
  protocol: TransferProtocol;
  file_name: string;
  direction: OfferDirection;
  server_address: string;
  server_port: number;
  content_kind: OfferedContent | null;
  content_sha256: string | null;
  username: string | null;
  password_sha256: string | null;
  max_bytes: string | null;
  state: OfferState;
  expires_at: Date;
  bytes: string | null;
  backup_sha256: string | null;
  rejection: string | null;
  upload_sha256: string | null;
}

function toRecord(row: OfferRow): OfferRecord {
  return {
    protocol: row.protocol,
    fileName: row.file_name,
    direction: row.direction,
    server: { address: row.server_address, port: row.server_port },
    content: row.content_kind !== null && row.content_sha256 !== null ? { kind: row.content_kind, sha256: row.content_sha256 } : null,
    credentials: row.username !== null && row.password_sha256 !== null ? { username: row.username, passwordSha256: row.password_sha256 } : null,
    maxBytes: row.max_bytes === null ? null : Number(row.max_bytes),
    state: row.state,
    expiresAt: row.expires_at,
    bytes: row.bytes === null ? null : Number(row.bytes),
    backupSha256: row.backup_sha256,
    rejection: row.rejection !== null && isBackupFailure(row.rejection) ? row.rejection : null,
    uploadSha256: row.upload_sha256,
  };
}

/** The offer as the device (and the run that recorded it) sees it; the password only as just issued. */
export function offerOf(
  record: Pick<OfferRecord, 'protocol' | 'server' | 'fileName'> & { credentials: { username: string; password?: string } | null },
): FileOffer {
  const credentials = record.credentials;
  return {
    protocol: record.protocol,
    server: { address: record.server.address, port: record.server.port },
    fileName: record.fileName,
    ...(credentials ? { username: credentials.username, ...(credentials.password ? { password: credentials.password } : {}) } : {}),
  };
}

interface Use {
  protocol: TransferProtocol;
  fileName: string;
  direction: OfferDirection;
  bytes: number;
  uploadSha256: string | null;
}

export class OfferStore {
  /** Transfers that end together are recorded together: one statement, one commit. */
  readonly #uses = new Batched<Use, OfferRecord | undefined>((uses) => this.#markUsed(uses));

  constructor(private readonly pool: pg.Pool) {}

  /** Records an offer just issued; written again (a transaction tried again whole), it stays as first written. */
  async add(offer: NewOffer, db: Queryable = this.pool): Promise<void> {
    await db.query(
      `INSERT INTO safeflash.file_offers (protocol, file_name, direction, server_address, server_port, content_kind,
         content_sha256, username, password_sha256, max_bytes, state, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11) ON CONFLICT DO NOTHING`,
      [
        offer.protocol,
        offer.fileName,
        offer.direction,
        offer.server.address,
        offer.server.port,
        offer.content?.kind ?? null,
        offer.content?.sha256 ?? null,
        offer.credentials?.username ?? null,
        offer.credentials ? passwordSha256(offer.credentials.password) : null,
        offer.maxBytes,
        offer.expiresAt,
      ],
    );
  }

  async get(protocol: TransferProtocol, fileName: string, db: Queryable = this.pool): Promise<OfferRecord | undefined> {
    const result = await db.query<OfferRow>('SELECT * FROM safeflash.file_offers WHERE protocol = $1 AND file_name = $2', [protocol, fileName]);
    return result.rows[0] ? toRecord(result.rows[0]) : undefined;
  }

  /** Open offers of the server at `server`: the ones a restarted manager must honour again. */
  async openAt(protocol: TransferProtocol, server: Endpoint): Promise<OfferRecord[]> {
    const result = await this.pool.query<OfferRow>(
      `SELECT * FROM safeflash.file_offers
       WHERE state = 'open' AND protocol = $1 AND server_address = $2 AND server_port = $3 ORDER BY created_at`,
      [protocol, server.address, server.port],
    );
    return result.rows.map(toRecord);
  }

  /** A transfer completed: an open offer becomes used (an upload with its stored bytes). Undefined when it was not open. */
  async markUsed(
    protocol: TransferProtocol,
    fileName: string,
    direction: OfferDirection,
    bytes: number,
    uploadSha256: string | null = null,
  ): Promise<OfferRecord | undefined> {
    return this.#uses.run({ protocol, fileName, direction, bytes, uploadSha256 });
  }

  /** markUsed for several transfers in one statement; the same offer twice is used once (the first). */
  async #markUsed(uses: Use[]): Promise<Array<OfferRecord | undefined>> {
    const result = await this.pool.query<OfferRow & { n: number }>(
      `WITH uses AS (
         SELECT * FROM json_to_recordset($1::json) AS u(n integer, protocol text, file_name text, direction text, bytes bigint, upload_sha256 text)
       ), firsts AS (
         SELECT DISTINCT ON (protocol, file_name) * FROM uses ORDER BY protocol, file_name, n
       )
       UPDATE safeflash.file_offers o SET state = 'used', bytes = f.bytes, upload_sha256 = f.upload_sha256, finished_at = now()
         FROM firsts f
        WHERE o.protocol = f.protocol AND o.file_name = f.file_name AND o.state IN ('open', 'expired') AND o.direction = f.direction
       RETURNING f.n, o.*`,
      [
        JSON.stringify(
          uses.map((use, n) => ({
            n,
            protocol: use.protocol,
            file_name: use.fileName,
            direction: use.direction,
            bytes: use.bytes,
            upload_sha256: use.uploadSha256,
          })),
        ),
      ],
    );
    const byN = new Map(result.rows.map((row) => [Number(row.n), toRecord(row)]));
    return uses.map((_use, n) => byN.get(n));
  }

  /**
   * An open offer whose time is up at `now` becomes expired; without `now`, any open offer (withdrawn).
   * Undefined when it was not open (or not yet due).
   */
  async markExpired(protocol: TransferProtocol, fileName: string, now?: Date): Promise<OfferRecord | undefined> {
    const set = `state = 'expired', finished_at = now()`;
    return now === undefined
      ? this.transition(protocol, fileName, set, `state = 'open'`, [])
      : this.transition(protocol, fileName, set, `state = 'open' AND expires_at <= $3`, [now]);
  }

  async markRejected(protocol: TransferProtocol, fileName: string, reason: BackupFailure): Promise<void> {
    await this.transition(
      protocol,
      fileName,
      `state = 'rejected', rejection = $3, finished_at = now()`,
      `direction = 'write' AND state IN ('open', 'used', 'expired')`,
      [reason],
    );
  }

  /** Within the transaction of `db`: the upload became backup `backupSha256`. */
  async markCollected(db: Queryable, protocol: TransferProtocol, fileName: string, backupSha256: string): Promise<void> {
    await db.query(
      `UPDATE safeflash.file_offers SET state = 'collected', backup_sha256 = $3, finished_at = coalesce(finished_at, now())
       WHERE protocol = $1 AND file_name = $2 AND direction = 'write'`,
      [protocol, fileName, backupSha256],
    );
  }

  /** Runs `work` in one transaction. */
  transaction<T>(work: (db: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, work);
  }

  private async transition(protocol: TransferProtocol, fileName: string, set: string, when: string, values: unknown[]): Promise<OfferRecord | undefined> {
    const result = await this.pool.query<OfferRow>(`UPDATE safeflash.file_offers SET ${set} WHERE protocol = $1 AND file_name = $2 AND ${when} RETURNING *`, [
      protocol,
      fileName,
      ...values,
    ]);
    return result.rows[0] ? toRecord(result.rows[0]) : undefined;
  }
}
