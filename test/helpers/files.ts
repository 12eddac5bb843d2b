// Files for transfer tests: throwaway directories, random content, digests to compare.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

export function tempDir(prefix = 'safeflash-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Names in a directory, hidden ones included, sorted. */
export const entriesOf = (dir: string): string[] => readdirSync(dir).sort();

/** Random bytes written to dir/name; the same bytes are returned for comparison. */
export function putFile(dir: string, name: string, size: number): Buffer {
  const data = randomBytes(size);
  writeFileSync(join(dir, name), data);
  return data;
}
