// API tokens. A token is shown once, when it is created, and kept only as the SHA-256 of its secret:
// a copy of the database gives no one access. The token names its row (`sf.<id>.<secret>`), so that
// checking one is a lookup by id and a constant-time comparison of digests, never a search by secret.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type pg from 'pg';

export type Role = 'viewer' | 'operator';
export const roles: readonly Role[] = ['viewer', 'operator'];

export interface TokenRecord {
  id: number;
  name: string;
  role: Role;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** A token just created: the only time its secret exists outside the client that holds it. */
export interface CreatedToken extends TokenRecord {
  token: string;
}

export class TokenError extends Error {
  override name = 'TokenError';
  constructor(
    readonly problem: 'badName' | 'badRole' | 'nameTaken' | 'unknownToken',
    message: string,
  ) {
    super(message);
  }
}

interface TokenRow {
  id: number;
  name: string;
  role: Role;
  secret_sha256: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const columns = 'id, name, role, secret_sha256, created_at, last_used_at, revoked_at';
const namePattern = /^[A-Za-z][A-Za-z0-9._@-]{0,63}$/;
const tokenPattern = /^sf\.([1-9][0-9]{0,9})\.([A-Za-z0-9_-]{43})$/;
/** last_used_at is a hint for operators, not an audit log: written at most once a minute per token. */
const lastUsedResolutionMs = 60_000;
/**
 * How long a valid token's row, once read, answers for it without asking the database again. Every
 * API request presents a token, and a dashboard asks every second: the lookup was half of what a page
 * cost the database under load. Revoking through this store forgets the row at once; a token revoked
 * through another manager sharing the database is refused here within this time.
 */
export const tokenTrustMs = 5_000;
const uniqueViolation = '23505';

function toRecord(row: TokenRow): TokenRecord {
  return { id: row.id, name: row.name, role: row.role, createdAt: row.created_at, lastUsedAt: row.last_used_at, revokedAt: row.revoked_at };
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export function checkTokenName(name: string): string {
  if (!namePattern.test(name))
    throw new TokenError(
      'badName',
      `token name ${JSON.stringify(name)}: 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter (a number names a token by id)`,
    );
  return name;
}

export class TokenStore {
  /** Rows of valid tokens read lately, by id, with when each stops being trusted. */
  private readonly trusted = new Map<number, { row: TokenRow; until: number }>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly trustMs = tokenTrustMs,
    /**
     * Whether a request waits for its token's last use to be written ('awaited': a list of tokens read
     * right after shows it), or not ('inBackground': the API's front, whose pages must not wait for a
     * write that commits behind the runs' own on a busy database).
     */
    private readonly lastUse: 'awaited' | 'inBackground' = 'awaited',
  ) {}

  /** A new token; its name must not be held by another token that is not revoked. `by`: who made it (kept for the audit). */
  async create(name: string, role: Role, by = 'manager'): Promise<CreatedToken> {
    checkTokenName(name);
    if (!roles.includes(role)) throw new TokenError('badRole', `role ${JSON.stringify(role)}: expected ${roles.join(' or ')}`);
    const secret = randomBytes(32).toString('base64url');
    try {
      const result = await this.pool.query<TokenRow>(
        `INSERT INTO safeflash.api_tokens (name, role, secret_sha256, created_by) VALUES ($1, $2, $3, $4) RETURNING ${columns}`,
        [name, role, digest(secret).toString('hex'), by],
      );
      const record = toRecord(result.rows[0]!);
      return { ...record, token: `sf.${record.id}.${secret}` };
    } catch (error) {
      if ((error as { code?: string }).code === uniqueViolation)
        throw new TokenError('nameTaken', `a token named ${JSON.stringify(name)} exists; revoke it or choose another name`);
      throw error;
    }
  }

  /** Every token, revoked ones included (they say who had access, and until when). */
  async list(): Promise<TokenRecord[]> {
    const result = await this.pool.query<TokenRow>(`SELECT ${columns} FROM safeflash.api_tokens ORDER BY id`);
    return result.rows.map(toRecord);
  }

  /** The token that presents this secret, if it exists and is not revoked; marks it used. */
  async authenticate(token: string): Promise<TokenRecord | undefined> {
    const row = await this.matching(token);
    if (!row) return undefined;
    if (row.last_used_at === null || Date.now() - row.last_used_at.getTime() > lastUsedResolutionMs) {
      const marked = this.pool.query(`UPDATE safeflash.api_tokens SET last_used_at = now() WHERE id = $1`, [row.id]);
      if (this.lastUse === 'awaited') await marked;
      else marked.catch(() => {}); // a hint: the next mark, a minute on, tries again
      row.last_used_at = new Date();
    }
    return toRecord(row);
  }

  /** Whether the token is valid, without marking it used. */
  async isValid(token: string): Promise<boolean> {
    return (await this.matching(token)) !== undefined;
  }

  /** Revokes the token named by id or name; revoking a revoked token returns it unchanged. `by`: who revoked it. */
  async revoke(reference: string, by = 'manager'): Promise<TokenRecord> {
    const byId = /^[1-9][0-9]{0,9}$/.test(reference);
    const result = await this.pool.query<TokenRow>(
      `UPDATE safeflash.api_tokens SET revoked_at = coalesce(revoked_at, now()), revoked_by = CASE WHEN revoked_at IS NULL THEN $2 ELSE revoked_by END
        WHERE id = (SELECT id FROM safeflash.api_tokens WHERE ${byId ? 'id = $1::integer' : 'name = $1'} ORDER BY revoked_at IS NULL DESC, id DESC LIMIT 1)
        RETURNING ${columns}`,
      [reference, by],
    );
    if (!result.rows[0]) throw new TokenError('unknownToken', `no token ${JSON.stringify(reference)}`);
    this.trusted.delete(result.rows[0].id);
    return toRecord(result.rows[0]);
  }

  private async matching(token: string): Promise<TokenRow | undefined> {
    const match = tokenPattern.exec(token);
    if (!match) return undefined;
    const row = await this.validRow(Number(match[1]));
    if (!row || !timingSafeEqual(Buffer.from(row.secret_sha256, 'hex'), digest(match[2]!))) return undefined;
    return row;
  }

  /** The row of token `id` unless it is missing or revoked: a trusted copy, else read (and trusted for a while). */
  private async validRow(id: number): Promise<TokenRow | undefined> {
    const now = Date.now();
    const known = this.trusted.get(id);
    if (known && known.until > now) return known.row;
    const result = await this.pool.query<TokenRow>(`SELECT ${columns} FROM safeflash.api_tokens WHERE id = $1`, [id]);
    const row = result.rows[0];
    if (!row || row.revoked_at !== null) {
      this.trusted.delete(id);
      return undefined;
    }
    this.trusted.set(id, { row, until: now + this.trustMs });
    return row;
  }
}
