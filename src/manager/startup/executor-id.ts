// Which manager a durable workflow belongs to. At launch DBOS recovers the unfinished workflows of its
// own executor ID, and the membership sweep (membership/membership.ts) recovers those of a manager that
// went silent, by its executor ID. With the embedded database there is one manager per database (the
// data directory's lock says so), and it is simply "local". Managers sharing one PostgreSQL must each
// have their own ID, or a manager that starts would recover the workflows another live manager is
// running. The ID is made once per data directory and kept there, so that a manager restarted on its
// data directory is the same member of the system.
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
