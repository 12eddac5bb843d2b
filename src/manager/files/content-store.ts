// Images and configuration files, each named by the SHA-256 of its bytes. The database holds every
// file once for all managers (store/contents.ts); this manager keeps a disk cache of the ones it has
// used, filled from the database on first use, so that a file any manager received can be served by
// this one. A cached file is written once, atomically, and never changed; it is never served from
// here directly (see served-directory.ts).
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../common/atomic-file.ts';
import type { Queryable } from '../store/backups.ts';
import type { ContentTable } from '../store/contents.ts';
import type { OfferedContent } from './file-offer.ts';

/** What a file is kept as: something offered to devices, or an upload as it arrived. */
export type StoredContent = OfferedContent | 'upload';

const extensions: Record<StoredContent, string> = { image: '.sfimg', config: '.cfg', vendorFile: '.bin', upload: '.upload' };
const folders: Record<StoredContent, string> = { image: 'images', config: 'configs', vendorFile: 'vendor-files', upload: 'uploads' };

const sha256Pattern = /^[0-9a-f]{64}$/;

export const sha256Of = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

export function isSha256(value: string): boolean {
  return sha256Pattern.test(value);
}

export class ContentStore {
  /** Cache writes under way, by path. */
  private readonly caching = new Map<string, Promise<void>>();

  private constructor(
    private readonly root: string,
    private readonly shared: Pick<ContentTable, 'put' | 'read'>,
  ) {}

  static async open(root: string, shared: Pick<ContentTable, 'put' | 'read'>): Promise<ContentStore> {
    for (const folder of Object.values(folders)) await mkdir(join(root, folder), { recursive: true });
    return new ContentStore(root, shared);
  }

  /** Stores the bytes for every manager (if not already there), caches them here, and returns their SHA-256. */
  async put(kind: StoredContent, bytes: Buffer): Promise<string> {
    const sha256 = sha256Of(bytes);
    // The shared copy first: a file this manager has is always a file every manager can have.
    await this.shared.put(sha256, bytes);
    await this.cache(kind, sha256, async () => bytes);
    return sha256;
  }

  /**
   * put() in two halves, for a caller that records the file with other writes in one transaction `db`:
   * share() writes the copy for every manager in it; keep() caches it here once `db` has committed.
   */
  async share(bytes: Buffer, db: Queryable): Promise<string> {
    const sha256 = sha256Of(bytes);
    await this.shared.put(sha256, bytes, db);
    return sha256;
  }

  async keep(kind: StoredContent, sha256: string, bytes: Buffer): Promise<void> {
    await this.cache(kind, sha256, async () => bytes);
  }

  /**
   * The path of the file on this manager's disk, fetched from the shared store when it is not cached
   * yet. Throws ENOENT when no manager ever stored it.
   */
  async local(kind: StoredContent, sha256: string): Promise<string> {
    return this.cache(kind, sha256, async () => {
      const bytes = await this.shared.read(sha256);
      if (bytes === undefined) throw Object.assign(new Error(`no stored ${kind} ${sha256}`), { code: 'ENOENT' });
      if (sha256Of(bytes) !== sha256) throw new Error(`shared ${kind} ${sha256} is damaged: its bytes no longer match its SHA-256`);
      return bytes;
    });
  }

  /** The file's bytes, checked against their name so a damaged disk never passes for a good file. */
  async read(kind: StoredContent, sha256: string): Promise<Buffer> {
    const bytes = await readFile(await this.local(kind, sha256));
    if (sha256Of(bytes) !== sha256) throw new Error(`stored ${kind} ${sha256} is damaged: its bytes no longer match its SHA-256`);
    return bytes;
  }

  /** Where the file with this digest is cached; throws on anything that is not a SHA-256 in hex. */
  private pathOf(kind: StoredContent, sha256: string): string {
    if (!isSha256(sha256)) throw new RangeError(`${JSON.stringify(sha256)} is not a SHA-256 (64 lowercase hex digits)`);
    return join(this.root, folders[kind], `${sha256}${extensions[kind]}`);
  }

  /**
   * Caches the file unless it is there, and returns its path. A file under its digest is whole: it only
   * ever appears by an atomic rename, and only once. Callers asking for a file being cached wait for that
   * one write (and one fetch from the database) rather than write it again: a rename over the file
   * would take its name from under a concurrent offer that is linking it, and that link would fail.
   */
  private async cache(kind: StoredContent, sha256: string, bytes: () => Promise<Buffer>): Promise<string> {
    const path = this.pathOf(kind, sha256);
    if (await exists(path)) return path;
    let caching = this.caching.get(path);
    if (caching === undefined) {
      caching = (async () => {
        // Checked again: an earlier write may have ended since this caller looked.
        if (!(await exists(path))) await writeFileAtomic(path, await bytes(), { mode: 0o444 }); // stored files never change
      })().finally(() => this.caching.delete(path));
      this.caching.set(path, caching);
    }
    await caching;
    return path;
  }
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() === true;
}
