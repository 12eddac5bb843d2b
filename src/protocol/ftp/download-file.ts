// What an FTP download reads: the issued file, opened without following links, counted and
// hashed on its way out so the server can say exactly what it sent.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { PassThrough, pipeline } from 'node:stream';
import type { StoredFile } from './upload-file.ts';

export class DownloadFile extends PassThrough {
  private readonly hash = createHash('sha256');
  private bytes = 0;
  /** Set once every byte of the file went through. */
  sent: StoredFile | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: (error?: Error | null) => void): void {
    this.sent = { bytes: this.bytes, sha256: this.hash.digest('hex') };
    done();
  }
}

export async function openDownload(root: string, file: string): Promise<DownloadFile> {
  const handle = await open(join(root, file), constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    if (!(await handle.stat()).isFile()) throw new Error(`${file} is not a regular file`);
  } catch (error) {
    await handle.close();
    throw error;
  }
  const download = new DownloadFile();
  // Errors reach the FTP command through the DownloadFile, which pipeline destroys with them.
  pipeline(handle.createReadStream(), download, () => undefined);
  return download;
}
