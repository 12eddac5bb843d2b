// Naming an image on the command line: a file (sent to the manager, which checks its signature and
// keeps it) or the SHA-256 (or a unique prefix) of one the manager already holds.
import { existsSync, readFileSync } from 'node:fs';
import type { ApiClient } from './api-client.ts';
import type { ImageJson } from './api-types.ts';
import { CommandFailure } from './program.ts';

export async function uploadImage(api: ApiClient, file: string): Promise<ImageJson> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new CommandFailure(`cannot read image ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  return api.post<ImageJson>('/api/images', { raw: { data: bytes, contentType: 'application/octet-stream' }, timeoutMs: 600_000 });
}

export async function resolveImage(api: ApiClient, fileOrSha: string): Promise<ImageJson> {
  if (/^[0-9a-f]{8,64}$/.test(fileOrSha) && !existsSync(fileOrSha)) return api.get<ImageJson>(`/api/images/${fileOrSha}`);
  return uploadImage(api, fileOrSha);
}
