// The whole file system one FTP session sees: the single file its credentials were issued for,
// in one direction, once. ftp-srv calls these methods for RETR, STOR, SIZE, CWD and PWD; any
// method left out here is answered "not supported" by ftp-srv, so nothing falls back to its
// unrestricted default file system.
import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Grant } from './issued-transfers.ts';
import { UploadFile, type StoredFile } from './upload-file.ts';
import { openDownload, type DownloadFile } from './download-file.ts';

export interface SessionTransfer {
  grant: Grant;
  result: StoredFile;
  /** Remote address of the data connection that carried the file. */
  dataPeerAddress: string | undefined;
}

type State = 'ready' | 'busy' | 'spent';

export class IssuedFileSystem {
  private state: State = 'ready';
  private stream: UploadFile | DownloadFile | undefined;
  private dataPeerAddress: string | undefined;

  constructor(
    private readonly root: string,
    private readonly grant: Grant,
    /** Reads the remote address of the session's current data connection. */
    private readonly dataPeer: () => string | undefined,
  ) {}

  currentDirectory(): string {
    return '/';
  }

  async chdir(path = '/'): Promise<string> {
    if (path !== '/') throw new Error('Only / exists here');
    return '/';
  }

  async get(name: string): Promise<Stats & { name: string }> {
    this.requireIssuedName(name);
    if (this.grant.mode === 'write' && this.finished() === undefined) throw new Error('Not stored yet');
    const stats = await lstat(join(this.root, this.grant.file));
    if (!stats.isFile()) throw new Error('Not a regular file');
    return Object.assign(stats, { name });
  }

  async read(name: string, { start }: { start?: number } = {}): Promise<{ stream: DownloadFile; clientPath: string }> {
    this.requireTransfer('read', name, start);
    this.state = 'busy';
    this.dataPeerAddress = this.dataPeer();
    try {
      this.stream = await openDownload(this.root, this.grant.file);
    } catch (error) {
      this.state = 'spent';
      throw error;
    }
    return { stream: this.stream, clientPath: name };
  }

  write(name: string, { append = false, start }: { append?: boolean; start?: number } = {}): { stream: UploadFile; clientPath: string } {
    if (append) throw new Error('Appending is not allowed');
    this.requireTransfer('write', name, start);
    this.state = 'busy';
    this.dataPeerAddress = this.dataPeer();
    const upload = new UploadFile(this.root, this.grant.file, this.grant.maxBytes);
    // ftp-srv's STOR ends the stream by emitting 'close' on it when the data connection ends
    // (made for fs.WriteStream); end it for real on that signal.
    upload.once('close', () => {
      if (!upload.destroyed && !upload.writableEnded) upload.end();
    });
    this.stream = upload;
    return { stream: upload, clientPath: name };
  }

  /** The completed transfer of this session, once there is one. */
  finished(): SessionTransfer | undefined {
    const result = this.stream instanceof UploadFile ? this.stream.stored : this.stream?.sent;
    return result === undefined ? undefined : { grant: this.grant, result, dataPeerAddress: this.dataPeerAddress };
  }

  /**
   * After a RETR or STOR finished, successfully or not. A transfer that started spends the
   * credentials; a command refused before starting (wrong name, wrong direction) does not.
   */
  markSpent(): void {
    if (this.state === 'busy') this.state = 'spent';
  }

  /** The session ended: an upload still open is dropped together with its temporary file. */
  abandon(): void {
    this.state = 'spent';
    if (this.stream !== undefined && !this.stream.destroyed && this.finished() === undefined) {
      this.stream.destroy(new Error('FTP session ended during the transfer'));
    }
  }

  private requireIssuedName(name: string): void {
    // Exact match only: no directories, no "..", no absolute or alternative spellings.
    if (name !== this.grant.file) throw new Error('No such file');
  }

  private requireTransfer(mode: Grant['mode'], name: string, start: number | undefined): void {
    this.requireIssuedName(name);
    if (this.grant.mode !== mode) throw new Error(`These credentials do not allow ${mode === 'read' ? 'RETR' : 'STOR'}`);
    if (this.state !== 'ready') throw new Error('These credentials were already used for a transfer');
    if (start !== undefined && start > 0) throw new Error('Restarting a transfer is not allowed');
  }
}
