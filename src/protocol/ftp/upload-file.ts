// Where an FTP upload lands: a hidden temporary file beside the final name, counted and hashed as
// bytes arrive. Only a complete upload within its cap is linked to the issued name (never over an
// existing file); anything else removes the temporary file, so a failed upload leaves nothing.
//
// Bytes past the cap are read and dropped, up to a bound, before the upload is refused: cutting the
// data connection at once makes the client see a reset instead of the server's refusal.
import { createHash, randomBytes } from 'node:crypto';
import { open, link, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';

export interface StoredFile {
  bytes: number;
  sha256: string;
}

/** How far past its cap an upload is drained before the data connection is cut instead. */
const drainBeyondCapBytes = 8 * 1024 * 1024;

export class UploadFile extends Writable {
  private readonly tempPath: string;
  private readonly finalPath: string;
  private readonly hash = createHash('sha256');
  private handle: FileHandle | undefined;
  private bytes = 0;
  /** Set once the file sits under its final name. */
  stored: StoredFile | undefined;

  constructor(
    root: string,
    private readonly file: string,
    private readonly maxBytes: number,
  ) {
    super();
    this.finalPath = join(root, file);
    // A leading dot keeps it out of the issuable names (see isPlainFileName).
    this.tempPath = join(root, `.${file}.${randomBytes(6).toString('hex')}.part`);
  }

  override _construct(done: (error?: Error | null) => void): void {
    open(this.tempPath, 'wx', 0o640).then(
      (handle) => {
        this.handle = handle;
        done();
      },
      (error: Error) => done(error),
    );
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      done(this.bytes > this.maxBytes + drainBeyondCapBytes ? this.overCap() : null);
      return;
    }
    this.hash.update(chunk);
    this.handle!.write(chunk).then(
      () => done(),
      (error: Error) => done(error),
    );
  }

  override _final(done: (error?: Error | null) => void): void {
    if (this.bytes > this.maxBytes) {
      done(this.overCap());
      return;
    }
    this.commit().then(
      () => done(),
      (error: Error) => done(error),
    );
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    if (this.stored !== undefined) {
      done(error);
      return;
    }
    this.discard().finally(() => done(error));
  }

  private overCap(): Error {
    return new Error(`Upload of ${this.file} exceeds its limit of ${this.maxBytes} bytes`);
  }

  private async commit(): Promise<void> {
    const handle = this.handle!;
    await handle.sync();
    await handle.close();
    this.handle = undefined;
    await link(this.tempPath, this.finalPath);
    await unlink(this.tempPath);
    this.stored = { bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  private async discard(): Promise<void> {
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
    await unlink(this.tempPath).catch(() => undefined);
  }
}
