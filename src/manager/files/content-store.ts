// Images and configuration files on disk, each named by the SHA-256 of its bytes. A file is written
// once, atomically, and never changed or removed; it is never served from here directly (see
// served-directory.ts).
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../common/atomic-file.ts';
import type { OfferedContent } from './file-offer.ts';

const extensions: Record<OfferedContent, string> = { image: '.sfimg', config: '.cfg', vendorFile: '.bin' };
const folders: Record<OfferedContent, string> = { image: 'images', config: 'configs', vendorFile: 'vendor-files' };

const sha256Pattern = /^[0-9a-f]{64}$/;

export const sha256Of = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

export function isSha256(value: string): boolean {
  return sha256Pattern.test(value);
}

export class ContentStore {
  private constructor(private readonly root: string) {}

  static async open(root: string): Promise<ContentStore> {
    for (const folder of Object.values(folders)) await mkdir(join(root, folder), { recursive: true });
    return new ContentStore(root);
  }

  /** Where the file with this digest lives; throws on anything that is not a SHA-256 in hex. */
  pathOf(kind: OfferedContent, sha256: string): string {
    if (!isSha256(sha256)) throw new RangeError(`${JSON.stringify(sha256)} is not a SHA-256 (64 lowercase hex digits)`);
    return join(this.root, folders[kind], `${sha256}${extensions[kind]}`);
  }

  /** Stores the bytes (if not already there) and returns their SHA-256. */
  async put(kind: OfferedContent, bytes: Buffer): Promise<string> {
    const sha256 = sha256Of(bytes);
    const path = this.pathOf(kind, sha256);
    // A file under its digest is whole: it only ever appears by an atomic rename.
    if (!(await exists(path))) await writeFileAtomic(path, bytes, 0o444); // stored files never change
    return sha256;
  }

  async has(kind: OfferedContent, sha256: string): Promise<boolean> {
    return exists(this.pathOf(kind, sha256));
  }

  /** The file's bytes, checked against their name so a damaged disk never passes for a good file. */
  async read(kind: OfferedContent, sha256: string): Promise<Buffer> {
    const bytes = await readFile(this.pathOf(kind, sha256));
    if (sha256Of(bytes) !== sha256) throw new Error(`stored ${kind} ${sha256} is damaged: its bytes no longer match its SHA-256`);
    return bytes;
  }
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() === true;
}
