// Which manager a durable workflow belongs to. At launch DBOS resumes the unfinished workflows of its
// own executor ID (through an internal queue that any process of the same application version may
// dequeue from, so with a shared database manager.ts also puts the executor ID in the version). With the embedded database there is one manager per database (the data directory's
// lock says so), and it is simply "local". Managers sharing one PostgreSQL must each have their own ID,
// or every manager that starts would also resume the runs another live manager is driving: two managers
// ordering one device. The ID is made once per data directory and kept there, so a manager that restarts
// on its data directory resumes exactly its own runs.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const embeddedExecutorId = 'local';

export function sharedExecutorId(dataDir: string): string {
  const file = join(dataDir, 'executor-id');
  mkdirSync(dataDir, { recursive: true });
  try {
    writeFileSync(file, `manager-${hostname()}-${randomBytes(6).toString('hex')}\n`, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFileSync(file, 'utf8').trim();
}
