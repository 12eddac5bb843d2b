// A directory that one live process at a time may use says so with a file holding that process's pid.
// A file left by a process that died (SIGKILL, power cut) names a pid that is gone, or that the system
// has since given to something that is not a Node.js process: either way it is stale and taken over.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

export class OwnedElsewhereError extends Error {
  override name = 'OwnedElsewhereError';
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of the live Node.js process the file names, if any other than this one. */
function liveOwner(file: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(file, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !isAlive(pid)) return undefined;
  try {
    return /node/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '') ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Makes this process the owner; throws OwnedElsewhereError, naming `what`, while a live process owns it. */
export function claimOwnership(file: string, what: string): void {
  for (let attempt = 0; attempt < 3; attempt++) {
    const owner = liveOwner(file);
    if (owner !== undefined) throw new OwnedElsewhereError(`${what} is in use by process ${owner} (a manager running on this data directory)`);
    rmSync(file, { force: true });
    try {
      // 'wx': of two processes claiming at the same instant, one wins and the other looks again.
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new OwnedElsewhereError(`${what} is being claimed by another process`);
}

/** Gives the directory up, if this process owns it. */
export function releaseOwnership(file: string): void {
  try {
    if (Number(readFileSync(file, 'utf8').trim()) === process.pid) rmSync(file, { force: true });
  } catch {
    // Already gone.
  }
}
