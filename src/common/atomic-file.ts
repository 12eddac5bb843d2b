// Files that are always whole: a reader (or a device restarting after a power cut) sees either the old
// content or the new one, never a mix. The new content goes to a temporary file in the same directory,
// is flushed to the disk, renamed over the target, and the directory entry itself is flushed. The device
// keeps its banks and configuration this way, the manager its images and backups.
//
// The writes go through node:fs's callback calls on plain file descriptors rather than node:fs/promises'
// FileHandle objects: the same system calls in the same order, but a device writes its state several
// times per run and a fleet runs thousands of devices, and a FileHandle per open (an object to create,
// track and collect, a promise per call) cost about as much CPU as the system calls themselves.
import { randomBytes } from 'node:crypto';
import { close, fsync, open, rename, write } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';

const openFd = promisify(open);
const closeFd = promisify(close);
const syncFd = promisify(fsync);
const renamePath = promisify(rename);
const writeFd = promisify(write);

/** Temporary files carry this marker so that recovery can recognise (and remove) the ones a crash left. */
const tempMarker = '.tmp-';

export interface AtomicWriteOptions {
  mode?: number;
  /**
   * false: the file is still replaced in one step, but neither it nor its directory is flushed to the
   * disk, so the new content survives the process being killed, not the machine losing power (a fleet of
   * virtual devices, whose power cuts are simulated). Default true.
   */
  flush?: boolean;
}

export async function writeFileAtomic(path: string, data: Buffer | string, { mode = 0o644, flush = true }: AtomicWriteOptions = {}): Promise<void> {
  const directory = dirname(path);
  const temp = join(directory, `${basename(path)}${tempMarker}${randomBytes(6).toString('hex')}`);
  // The directory is made only when it is missing: most writes replace a file that is already there.
  const fd = await openFd(temp, 'wx', mode).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
    await mkdir(directory, { recursive: true });
    return openFd(temp, 'wx', mode);
  });
  try {
    await writeAll(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    if (flush) await syncFd(fd);
  } catch (error) {
    await closeFd(fd).catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
  await closeFd(fd);
  try {
    await renamePath(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  if (flush) await syncDirectory(directory);
}

/** A write may take fewer bytes than asked (a full disk, a signal): carry on from where it stopped. */
async function writeAll(fd: number, data: Buffer): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const { bytesWritten: bytes } = await writeFd(fd, data, written, data.length - written, null);
    if (bytes === 0) throw new Error(`write took none of the ${data.length - written} bytes left`);
    written += bytes;
  }
}

/** Flushes a directory so that a rename or removal in it survives a power cut. */
export async function syncDirectory(directory: string): Promise<void> {
  const fd = await openFd(directory, 'r');
  try {
    await syncFd(fd);
  } finally {
    await closeFd(fd);
  }
}

/** Removes the temporary files an interrupted writeFileAtomic left in a directory; returns their names. */
export async function removeLeftoverTempFiles(directory: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const leftovers = names.filter((name) => name.includes(tempMarker));
  for (const name of leftovers) await rm(join(directory, name), { force: true });
  if (leftovers.length > 0) await syncDirectory(directory);
  return leftovers;
}

/** The file's content, or undefined when there is no such file. */
export async function readFileIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
