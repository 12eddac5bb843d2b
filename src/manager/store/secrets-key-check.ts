// The manager's secrets key against the database's: the first manager to start records its key's
// check value; a manager with another key is refused before it reads or writes a credential (it would
// fail to reach every device, and seal new ones under a key the others cannot open). Then device rows
// an earlier version kept in clear are sealed, in one transaction: all of them, or none. The first
// time (a database of an earlier version) the FTP passwords that version recorded in ended runs'
// journals are removed too.
import type pg from 'pg';
import { inTransaction } from './transaction.ts';
import { isSealedSecurity, sealSecurity, type SecretSealer, type StoredSecurity } from './devices.ts';

/** The key this manager was given is not the one the database's credentials are sealed with. */
export class SecretsKeyMismatchError extends Error {
  override name = 'SecretsKeyMismatchError';
}

export interface SecretsKey extends SecretSealer {
  /** A value derived from the key that names it without revealing it. */
  readonly check: string;
}

/**
 * FTP passwords an earlier version recorded in the answers of ended runs' offer steps: nothing reads
 * them again. A run under way keeps its own, which its replay needs; they expire with their offer.
 */
async function forgetRecordedPasswords(db: pg.PoolClient): Promise<void> {
  await db.query(
    `UPDATE safeflash.run_steps SET output = (output::jsonb - 'password')::json
      WHERE name IN ('safeflash.expectBackup', 'safeflash.offerImage', 'safeflash.offerConfig') AND (output::jsonb ? 'password')
        AND run_id IN (SELECT id FROM safeflash.runs WHERE state NOT IN ('running', 'waiting', 'staged'))`,
  );
}

/** Checks `key` against the database's and seals the credentials still in clear; how many it sealed. */
export async function adoptSecretsKey(pool: pg.Pool, key: SecretsKey): Promise<{ sealed: number }> {
  return inTransaction(pool, async (db) => {
    // Two managers starting together: one records its key, the other finds it.
    await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['safeflash secrets key']);
    const found = await db.query<{ key_check: string }>('SELECT key_check FROM safeflash.secrets_key');
    const recorded = found.rows[0]?.key_check;
    if (recorded === undefined) {
      await db.query('INSERT INTO safeflash.secrets_key (key_check) VALUES ($1)', [key.check]);
      await forgetRecordedPasswords(db);
    } else if (recorded !== key.check) {
      throw new SecretsKeyMismatchError(
        "the secrets key is not the one this database's device credentials are sealed with: give this manager the key file of the others (--secrets-key FILE, byte for byte); nothing was changed",
      );
    }
    const clear = await db.query<{ id: number; security: StoredSecurity }>(
      `SELECT id, security FROM safeflash.devices WHERE NOT (security ? 'sealed') ORDER BY id FOR UPDATE`,
    );
    let sealed = 0;
    for (const row of clear.rows) {
      if (isSealedSecurity(row.security)) continue;
      await db.query('UPDATE safeflash.devices SET security = $2 WHERE id = $1', [row.id, JSON.stringify(sealSecurity(row.security, key))]);
      sealed++;
    }
    return { sealed };
  });
}
