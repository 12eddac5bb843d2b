// Which names a TFTP server may touch: plain relative paths that stay inside its root, also after
// following symlinks. Hidden names (a segment starting with ".") are refused, which also covers
// "." and ".." and keeps partial uploads (".NAME.*.part") out of reach.
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { TftpFailure } from './errors.ts';
import { TftpErrorCode } from './packet.ts';
import { hasControlCharacter } from '../../common/text.ts';

const MAX_NAME_BYTES = 1024;

function denied(name: string, why: string): TftpFailure {
  return new TftpFailure('accessDenied', `"${name}" refused: ${why}`, TftpErrorCode.accessViolation);
}

/** Checks the shape of a requested name and returns its absolute path under `root` (a realpath). */
export function pathInsideRoot(root: string, name: string): string {
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) throw denied(name.slice(0, 64), 'name too long');
  if (hasControlCharacter(name)) throw denied(name, 'control character in name');
  if (name.includes('\\')) throw denied(name, 'backslash in name');
  if (name.startsWith('/')) throw denied(name, 'absolute path');
  const segments = name.split('/');
  if (segments.some((segment) => segment === '')) throw denied(name, 'empty path segment');
  if (segments.some((segment) => segment.startsWith('.'))) throw denied(name, 'hidden or parent path segment');
  const full = path.resolve(root, name);
  if (!full.startsWith(root + path.sep)) throw denied(name, 'outside the server root');
  return full;
}

/** The file to read for `name`: must exist and, symlinks followed, still be inside `root`. */
export async function resolveReadPath(root: string, name: string): Promise<string> {
  const full = pathInsideRoot(root, name);
  let real: string;
  try {
    real = await realpath(full);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new TftpFailure('fileNotFound', `"${name}" not found`, TftpErrorCode.fileNotFound);
    }
    throw denied(name, `cannot resolve (${code ?? 'error'})`);
  }
  if (!real.startsWith(root + path.sep)) throw denied(name, 'resolves outside the server root');
  return real;
}
