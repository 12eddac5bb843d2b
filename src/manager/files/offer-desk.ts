// Offers of files to devices over TFTP and FTP: issuing them, retiring them once used or expired,
// and honouring them again after a restart. The database is the record of every offer; a server's
// served directory and its in-memory names and credentials follow it.
import type { EventEmitter } from 'node:events';
import type { Endpoint } from '../../protocol/endpoint.ts';
import type { FtpFileServer } from '../../protocol/ftp/server.ts';
import { isPlainFileName } from '../../protocol/ftp/file-names.ts';
import type { TftpServer } from '../../protocol/tftp/server.ts';
import type { TransferProtocol } from '../../protocol/transfer-contract.ts';
import type { BackupRecord } from '../store/records.ts';
import type { Queryable } from '../store/backups.ts';
import type { BackupFailure } from './backup-error.ts';
import type { FileOffer, OfferDirection, OfferedContent } from './file-offer.ts';
import { offerName } from './offer-names.ts';
import { offerOf, type NewOffer, type OfferRecord, type OfferStore } from '../store/offers.ts';
import type { ServedDirectory } from './served-directory.ts';
import type { ContentStore } from './content-store.ts';

export interface FileEvents {
  /** A read offer was served, or an upload arrived. */
  offerUsed: [offer: FileOffer, direction: OfferDirection, bytes: number];
  offerExpired: [offer: FileOffer];
  /** Bookkeeping after a transfer or an expiry failed (e.g. the database was unreachable). */
  backgroundError: [error: Error];
}

export interface OfferDeskParts {
  tftp: TftpServer;
  ftp: FtpFileServer;
  served: Record<TransferProtocol, ServedDirectory>;
  /** Where refused uploads are kept, out of every server's reach. */
  rejectedDir: string;
  offers: OfferStore;
  /** The stored files: what a read offer serves, and where uploads are kept as they arrive. */
  contents: Pick<ContentStore, 'local' | 'put' | 'read'>;
  ttlMs: number;
  maxUploadBytes: number;
  events: EventEmitter<FileEvents>;
}

/**
 * How an offer's row is written: at once by default; a run hands its journal's way, which writes it
 * with the run's next answers, in their transaction, before the run tells the device the name. A row
 * that never gets written leaves a served file without a row, removed at the next start (recover).
 */
export type OfferRecorder = (write: (db?: Queryable) => Promise<unknown>) => Promise<void>;

const atOnce: OfferRecorder = async (write) => {
  await write();
};

/** setTimeout's longest delay; a later expiry is checked again when it fires. */
const longestTimerMs = 2 ** 31 - 1;
const protocols: readonly TransferProtocol[] = ['tftp', 'ftp'];

export class OfferDesk {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly pending = new Set<Promise<void>>();
  private readonly served: Record<TransferProtocol, number> = { tftp: 0, ftp: 0 };
  private closed = false;

  constructor(private readonly parts: OfferDeskParts) {
    parts.tftp.on('transfer', (record) => this.track(() => this.transferred('tftp', record.name, record.direction, record.bytes)));
    parts.ftp.on('transfer', (record) => this.track(() => this.transferred('ftp', record.file, record.direction, record.bytes)));
  }

  /** Bytes sent to devices by completed reads since start, per protocol. */
  get bytesServed(): Readonly<Record<TransferProtocol, number>> {
    return { ...this.served };
  }

  endpointOf(protocol: TransferProtocol): Endpoint {
    const server = protocol === 'tftp' ? this.parts.tftp : this.parts.ftp;
    return { address: server.address, port: server.port };
  }

  /** Serves a stored file under a fresh name, for one download. */
  async offerRead(protocol: TransferProtocol, content: { kind: OfferedContent; sha256: string }, recordWith: OfferRecorder = atOnce): Promise<FileOffer> {
    const fileName = offerName(content.kind);
    const dir = this.parts.served[protocol];
    const expiresAt = new Date(Date.now() + this.parts.ttlMs);
    // A served file without its row is a leftover and is removed at start, so the file may come first.
    await dir.place(await this.parts.contents.local(content.kind, content.sha256), fileName);
    let credentials: NewOffer['credentials'] = null;
    try {
      if (protocol === 'ftp') credentials = this.parts.ftp.issueTransfer({ mode: 'read', file: fileName });
      const record = { protocol, fileName, direction: 'read' as const, server: this.endpointOf(protocol), content, credentials, maxBytes: null, expiresAt };
      await recordWith((db) => this.parts.offers.add(record, db));
      this.schedule(record);
      return offerOf(record);
    } catch (error) {
      if (credentials) this.parts.ftp.revokeTransfer(credentials.username);
      await dir.remove(fileName);
      throw error;
    }
  }

  /** A fresh name (and for FTP credentials) a device may upload to, once. */
  async expectUpload(protocol: TransferProtocol, recordWith: OfferRecorder = atOnce): Promise<FileOffer> {
    const expiresAt = new Date(Date.now() + this.parts.ttlMs);
    const maxBytes = this.parts.maxUploadBytes;
    let fileName: string;
    let credentials: NewOffer['credentials'] = null;
    if (protocol === 'tftp') {
      fileName = this.parts.tftp.issueWriteName(undefined, this.parts.ttlMs);
    } else {
      fileName = offerName('backup');
      credentials = this.parts.ftp.issueTransfer({ mode: 'write', file: fileName, maxBytes });
    }
    const record = { protocol, fileName, direction: 'write' as const, server: this.endpointOf(protocol), content: null, credentials, maxBytes, expiresAt };
    try {
      await recordWith((db) => this.parts.offers.add(record, db));
    } catch (error) {
      this.revoke(record);
      throw error;
    }
    this.schedule(record);
    return offerOf(record);
  }

  /** The upload offer `offer` names, if the manager issued one. */
  async uploadOffer(offer: FileOffer): Promise<OfferRecord | undefined> {
    if (!protocols.includes(offer.protocol) || typeof offer.fileName !== 'string') return undefined;
    const record = await this.parts.offers.get(offer.protocol, offer.fileName);
    return record?.direction === 'write' ? record : undefined;
  }

  /**
   * What arrived for an upload offer, or undefined when nothing did: from the shared store once the
   * receiving manager kept it there (so any manager can collect it), else from this manager's server.
   */
  async uploaded(record: OfferRecord): Promise<Buffer | undefined> {
    if (record.uploadSha256 !== null) return this.parts.contents.read('upload', record.uploadSha256);
    return this.parts.served[record.protocol].read(record.fileName);
  }

  /** Keeps an upload that arrived on this manager's server in the shared store; its SHA-256, or null when nothing is there. */
  private async keepUpload(protocol: TransferProtocol, fileName: string): Promise<string | null> {
    const bytes = await this.parts.served[protocol].read(fileName);
    return bytes === undefined ? null : this.parts.contents.put('upload', bytes);
  }

  /** The upload became a backup: recorded by `addBackup` in the same transaction, then no longer served. */
  async collect(record: OfferRecord, addBackup: (db: Queryable) => Promise<BackupRecord>): Promise<BackupRecord> {
    const backup = await this.parts.offers.transaction(async (db) => {
      const added = await addBackup(db);
      await this.parts.offers.markCollected(db, record.protocol, record.fileName, added.sha256);
      return added;
    });
    this.cancelTimer(record);
    await this.parts.served[record.protocol].remove(record.fileName);
    return backup;
  }

  /** The upload is not a usable backup: recorded, and kept aside where no server reaches it. */
  async reject(record: OfferRecord, reason: BackupFailure): Promise<void> {
    await this.parts.offers.markRejected(record.protocol, record.fileName, reason);
    this.cancelTimer(record);
    await this.parts.served[record.protocol].moveOut(record.fileName, this.parts.rejectedDir, `${record.protocol}-${record.fileName}`);
  }

  /**
   * Brings served directories and servers back in line with the recorded offers after a restart:
   * leftovers removed, uploads that arrived unrecorded marked, open offers served again with the
   * same names and credentials until their original expiry.
   */
  async recover(): Promise<void> {
    for (const protocol of protocols) {
      const dir = this.parts.served[protocol];
      for (const entry of await dir.entries()) {
        if (!isPlainFileName(entry))
          await dir.removeEntry(entry); // a partial upload or temporary file
        else await this.settleServedFile(protocol, entry);
      }
      for (const record of await this.parts.offers.openAt(protocol, this.endpointOf(protocol))) await this.reopen(record);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.pending]);
  }

  private async settleServedFile(protocol: TransferProtocol, fileName: string): Promise<void> {
    const dir = this.parts.served[protocol];
    const record = await this.parts.offers.get(protocol, fileName);
    if (record === undefined) return dir.remove(fileName);
    if (record.direction === 'read') {
      const ours = sameEndpoint(record.server, this.endpointOf(protocol));
      if (record.state === 'open' && ours) return;
      // Served before the restart, or offered on a server address this manager no longer has.
      if (record.state === 'open') await this.parts.offers.markExpired(protocol, fileName);
      return dir.remove(fileName);
    }
    if (record.state === 'open' || record.state === 'expired') {
      // The upload completed but the manager stopped before it recorded that.
      await this.parts.offers.markUsed(protocol, fileName, 'write', (await dir.size(fileName)) ?? 0, await this.keepUpload(protocol, fileName));
    } else if (record.state === 'collected') {
      await dir.remove(fileName);
    } else if (record.state === 'rejected') {
      await dir.moveOut(fileName, this.parts.rejectedDir, `${protocol}-${fileName}`);
    }
  }

  private async reopen(record: OfferRecord): Promise<void> {
    const remainingMs = record.expiresAt.getTime() - Date.now();
    if (remainingMs <= 0) return this.expire(record.protocol, record.fileName);
    const { ftp, tftp, served } = this.parts;
    if (record.direction === 'read') {
      const content = record.content;
      if (content === null) return this.expire(record.protocol, record.fileName, true);
      if (!(await served[record.protocol].has(record.fileName))) {
        try {
          await served[record.protocol].place(await this.parts.contents.local(content.kind, content.sha256), record.fileName);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
          // The stored file is gone (the store was damaged by hand): nothing left to serve.
          return this.expire(record.protocol, record.fileName, true);
        }
      }
    } else if (record.protocol === 'tftp') {
      tftp.acceptWriteName(record.fileName, remainingMs);
    }
    if (record.credentials) {
      ftp.restoreTransfer({
        mode: record.direction,
        file: record.fileName,
        ...(record.maxBytes !== null ? { maxBytes: record.maxBytes } : {}),
        ...record.credentials,
        expiresAt: record.expiresAt.getTime(),
      });
    }
    this.schedule(record);
  }

  private async transferred(protocol: TransferProtocol, fileName: string, direction: OfferDirection, bytes: number): Promise<void> {
    if (direction === 'read') this.served[protocol] += bytes;
    if (!isPlainFileName(fileName)) return;
    // The servers take writes only to names issued, once: what arrived is an upload to keep.
    const upload = direction === 'write' ? await this.keepUpload(protocol, fileName) : null;
    const record = await this.parts.offers.markUsed(protocol, fileName, direction, bytes, upload);
    if (record === undefined) return; // not an offer, or already used (a second read that raced the first)
    this.cancelTimer(record);
    if (direction === 'read') await this.parts.served[protocol].remove(fileName);
    this.parts.events.emit('offerUsed', offerOf(record), direction, bytes);
  }

  /** Retires an open offer whose time is up (or, when `withdraw` is set, whatever its time). */
  private async expire(protocol: TransferProtocol, fileName: string, withdraw = false): Promise<void> {
    const record = await this.parts.offers.markExpired(protocol, fileName, withdraw ? undefined : new Date());
    if (record === undefined) {
      const current = await this.parts.offers.get(protocol, fileName);
      if (current?.state === 'open') this.schedule(current); // a timer cut short by longestTimerMs
      return;
    }
    this.cancelTimer(record);
    this.revoke(record);
    if (record.direction === 'read') await this.parts.served[protocol].remove(fileName);
    this.parts.events.emit('offerExpired', offerOf(record));
  }

  private revoke(record: Pick<OfferRecord, 'protocol' | 'fileName' | 'direction'> & { credentials: { username: string } | null }): void {
    if (record.credentials) this.parts.ftp.revokeTransfer(record.credentials.username);
    else if (record.protocol === 'tftp' && record.direction === 'write') this.parts.tftp.revokeWriteName(record.fileName);
  }

  private schedule(record: Pick<OfferRecord, 'protocol' | 'fileName' | 'expiresAt'>): void {
    if (this.closed) return;
    this.cancelTimer(record);
    const delay = Math.min(Math.max(record.expiresAt.getTime() - Date.now(), 0), longestTimerMs);
    const timer = setTimeout(() => {
      this.timers.delete(timerKey(record));
      this.track(() => this.expire(record.protocol, record.fileName));
    }, delay);
    timer.unref();
    this.timers.set(timerKey(record), timer);
  }

  private cancelTimer(record: Pick<OfferRecord, 'protocol' | 'fileName'>): void {
    const key = timerKey(record);
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  /** Runs bookkeeping that no caller awaits; close() waits for it, failures are reported as events. */
  private track(work: () => Promise<void>): void {
    const task = work()
      .catch((error: unknown) => {
        this.parts.events.emit('backgroundError', error instanceof Error ? error : new Error(String(error)));
      })
      .finally(() => this.pending.delete(task));
    this.pending.add(task);
  }
}

const timerKey = (record: Pick<OfferRecord, 'protocol' | 'fileName'>): string => `${record.protocol}:${record.fileName}`;

const sameEndpoint = (a: Endpoint, b: Endpoint): boolean => a.address === b.address && a.port === b.port;
