// Files that are always whole: a reader (or a device restarting after a power cut) sees either the old
// content or the new one, never a mix. The new content goes to a temporary file in the same directory,
// is flushed to the disk, renamed over the target, and the directory entry itself is flushed. The device
// keeps its banks and configuration this way, the manager its images and backups.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Temporary files carry this marker so that recovery can recognise (and remove) the ones a crash left. */
const tempMarker = '.tmp-';

export async function writeFileAtomic(path: string, data: Buffer | string, mode = 0o644): Promise<void> {
  const directory = dirname(path);
  const temp = join(directory, `${basename(path)}${tempMarker}${randomBytes(6).toString('hex')}`);
  // The directory is made only when it is missing: most writes replace a file that is already there.
  const handle = await open(temp, 'wx', mode).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
    await mkdir(directory, { recursive: true });
    return open(temp, 'wx', mode);
  });
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(directory);
}

/** Flushes a directory so that a rename or removal in it survives a power cut. */
export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
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
