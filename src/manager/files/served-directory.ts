// The directory a file server serves: only what is offered right now, each under its single-use
// name. A read offer is a hard link to the stored file (a copy where links are not possible), so
// removing it never touches the store.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, mkdir, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isPlainFileName } from '../../protocol/ftp/file-names.ts';
import { syncDirectory } from '../../common/atomic-file.ts';

export class ServedDirectory {
  private constructor(readonly root: string) {}

  static async open(root: string): Promise<ServedDirectory> {
    await mkdir(root, { recursive: true });
    return new ServedDirectory(root);
  }

  /** Serves the file at `source` under `name`. */
  async place(source: string, name: string): Promise<void> {
    const target = this.pathOf(name);
    try {
      await link(source, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK') throw error;
      // Copied under a hidden name first (servers refuse those), so no one ever reads half a file.
      const temp = join(this.root, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
      try {
        await copyFile(source, temp, constants.COPYFILE_EXCL);
        await link(temp, target);
      } finally {
        await unlink(temp).catch(() => {});
      }
    }
  }

  async has(name: string): Promise<boolean> {
    return (await stat(this.pathOf(name)).catch(() => undefined))?.isFile() === true;
  }

  /** The bytes under `name`, or undefined when nothing is there. */
  async read(name: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.pathOf(name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Size in bytes of what is under `name`, or undefined. */
  async size(name: string): Promise<number | undefined> {
    const stats = await stat(this.pathOf(name)).catch(() => undefined);
    return stats?.isFile() ? stats.size : undefined;
  }

  async remove(name: string): Promise<void> {
    await unlink(this.pathOf(name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }

  /** Takes `name` out of service by moving it to `directory` (kept, no longer served). */
  async moveOut(name: string, directory: string, as: string): Promise<void> {
    await mkdir(directory, { recursive: true });
    try {
      await rename(this.pathOf(name), join(directory, as));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return;
    }
    await syncDirectory(directory);
  }

  /** Everything in the directory, hidden names (servers' partial uploads) included. */
  async entries(): Promise<string[]> {
    return readdir(this.root);
  }

  /** Removes an entry whatever its name, for leftovers found at start (partial uploads, strays). */
  async removeEntry(entry: string): Promise<void> {
    if (entry.includes('/') || entry === '.' || entry === '..') throw new RangeError(`${JSON.stringify(entry)} is not an entry name`);
    await unlink(join(this.root, entry)).catch(() => {});
  }

  private pathOf(name: string): string {
    if (!isPlainFileName(name)) throw new RangeError(`${JSON.stringify(name)} is not a plain file name`);
    return join(this.root, name);
  }
}
