// The manager's own PostgreSQL (the embedded one) under a temporary directory, with the store on it,
// for tests of what the store reads and writes: opened before the file's tests, closed and removed
// after them. Its members are there once the tests run.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { openDatabase, type Database } from '../../src/manager/store/database.ts';
import { storeOn, type Store } from '../../src/manager/store/store.ts';

export interface TemporaryDatabase {
  database: Database;
  store: Store;
}

/** `name` shows in the temporary directory's name. */
export function temporaryDatabase(name: string): TemporaryDatabase {
  const dir = mkdtempSync(join(tmpdir(), `sf-${name}-`));
  // As root PostgreSQL runs as another user, who must be able to enter the directory.
  chmodSync(dir, 0o755);
  const opened = {} as TemporaryDatabase;
  before(async () => {
    opened.database = await openDatabase({ dataDir: dir });
    opened.store = storeOn(opened.database.pool);
  });
  after(async () => {
    await opened.database?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return opened;
}
