// The manager's file service: signed images and configuration files kept content-addressed under
// <dataDir>/files, offered to devices over TFTP and FTP under single-use names, and backups taken
// in from devices' uploads. Layout:
//   files/images/<sha256>.sfimg, files/configs/<sha256>.cfg   the store (never served, never deleted)
//   files/served/tftp/, files/served/ftp/                      the servers' roots: current offers only
//   files/rejected/                                            uploads that were not usable backups
import { EventEmitter } from 'node:events';
import { createHmac, randomBytes, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import type { Endpoint } from '../../protocol/endpoint.ts';
import { FtpFileServer } from '../../protocol/ftp/server.ts';
import { inspectImageHeader, readImage, type ImageHeader } from '../../protocol/image.ts';
import { TftpServer } from '../../protocol/tftp/server.ts';
import type { TransferProtocol } from '../../protocol/transfer-contract.ts';
import type { BackupKind, BackupRecord, ImageRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';
import { checkConfigFile } from './backup-check.ts';
import { family as familyNamed } from '../../families/families.ts';
import type { ConfigurationText, FamilyName } from '../../families/family.ts';
import { BackupError } from './backup-error.ts';
import { ContentStore, isSha256 } from './content-store.ts';
import type { FileOffer } from './file-offer.ts';
import { OfferDesk, type FileEvents, type OfferRecorder } from './offer-desk.ts';
import { ServedDirectory } from './served-directory.ts';

export { BackupError, type BackupFailure } from './backup-error.ts';
export type { FileOffer } from './file-offer.ts';
export type { FileEvents } from './offer-desk.ts';

export interface ManagerFilesOptions {
  dataDir: string;
  tftp: Endpoint;
  ftp: Endpoint & { passivePorts?: { min: number; max: number } };
  store: Pick<Store, 'images' | 'backups' | 'offers' | 'contents'>;
  /** Keys whose signatures make an image acceptable. */
  trustedKeys: KeyObject[];
  /** How long an offer stays usable. Default 30 minutes. */
  offerTtlMs?: number;
  /** Largest configuration file taken as a backup (and largest upload accepted). Default 1 MiB. */
  maxBackupBytes?: number;
  /**
   * The password of the FTP transfer issued to a user name, derived from the manager's secrets key so
   * that it is never kept (transferPassword gives it again). Absent: derived from a key of this process only.
   */
  transferPassword?: (username: string) => string;
}

export const defaultOfferTtlMs = 30 * 60_000;
export const defaultMaxBackupBytes = 1024 * 1024;

/** TFTP transfers the manager serves at once; beyond it a device is told the server is busy. */
export const maxConcurrentTftpTransfers = 2048;

export class ManagerFiles extends EventEmitter<FileEvents> {
  private readonly images: Store['images'];
  private readonly backups: Store['backups'];
  private readonly desk: OfferDesk;

  private constructor(
    private readonly store: ContentStore,
    private readonly servers: { tftp: TftpServer; ftp: FtpFileServer },
    private readonly options: ManagerFilesOptions & { maxBackupBytes: number; transferPassword: (username: string) => string },
    served: Record<TransferProtocol, ServedDirectory>,
    rejectedDir: string,
  ) {
    super();
    this.images = options.store.images;
    this.backups = options.store.backups;
    this.desk = new OfferDesk({
      ...servers,
      served,
      rejectedDir,
      offers: options.store.offers,
      contents: store,
      ttlMs: options.offerTtlMs ?? defaultOfferTtlMs,
      maxUploadBytes: options.maxBackupBytes,
      events: this,
    });
  }

  /** Opens the store, starts the TFTP and FTP servers, and honours again the offers still open. */
  static async start(options: ManagerFilesOptions): Promise<ManagerFiles> {
    const settings = {
      ...options,
      maxBackupBytes: options.maxBackupBytes ?? defaultMaxBackupBytes,
      transferPassword: options.transferPassword ?? processTransferPasswords(),
    };
    const ttlMs = options.offerTtlMs ?? defaultOfferTtlMs;
    if (!(Number.isSafeInteger(ttlMs) && ttlMs > 0)) throw new RangeError(`offer TTL ${ttlMs} ms is not a positive integer`);
    if (!(Number.isSafeInteger(settings.maxBackupBytes) && settings.maxBackupBytes > 0)) {
      throw new RangeError(`backup size cap ${settings.maxBackupBytes} is not a positive integer`);
    }
    const root = join(options.dataDir, 'files');
    const store = await ContentStore.open(root, options.store.contents);
    const served = {
      tftp: await ServedDirectory.open(join(root, 'served', 'tftp')),
      ftp: await ServedDirectory.open(join(root, 'served', 'ftp')),
    };
    const tftp = new TftpServer({
      root: served.tftp.root,
      address: options.tftp.address,
      port: options.tftp.port,
      maxUploadBytes: settings.maxBackupBytes,
      writeNameTtlMs: ttlMs,
      // A fleet upgrade moves a file per device at once; a refused transfer fails the device's whole
      // operation, so the cap is set for fleets (each transfer is one UDP socket), not for a lab.
      maxTransfers: maxConcurrentTftpTransfers,
    });
    await tftp.start().catch((error: unknown) => {
      throw new Error(`TFTP server cannot listen on ${options.tftp.address}:${options.tftp.port}: ${(error as Error).message}`, { cause: error });
    });
    let ftp: FtpFileServer;
    try {
      ftp = await FtpFileServer.start({
        root: served.ftp.root,
        address: options.ftp.address,
        port: options.ftp.port,
        maxUploadBytes: settings.maxBackupBytes,
        credentialTtlMs: ttlMs,
        passwordFor: settings.transferPassword,
        ...(options.ftp.passivePorts ? { passivePorts: options.ftp.passivePorts } : {}),
      });
    } catch (error) {
      await tftp.close();
      throw new Error(`FTP server cannot listen on ${options.ftp.address}:${options.ftp.port}: ${(error as Error).message}`, { cause: error });
    }
    const files = new ManagerFiles(store, { tftp, ftp }, settings, served, join(root, 'rejected'));
    try {
      await files.desk.recover();
    } catch (error) {
      await files.close();
      throw error;
    }
    return files;
  }

  /** The password of the FTP transfer issued to `username`: given again whenever a run orders the device (it is never kept). */
  transferPassword(username: string): string {
    return this.options.transferPassword(username);
  }

  /** Where devices reach each server. */
  endpoint(protocol: TransferProtocol): Endpoint {
    return this.desk.endpointOf(protocol);
  }

  /** Bytes sent to devices by completed downloads since start, per protocol. */
  get bytesServed(): Readonly<Record<TransferProtocol, number>> {
    return this.desk.bytesServed;
  }

  /**
   * Verifies a signed image (structure, digest, trusted signer) and stores it. Throws ImageError
   * and stores nothing when it fails; adding the same image again returns its record. `addedBy`:
   * the operator who uploaded it, for the audit.
   */
  async addImage(bytes: Buffer, addedBy?: string): Promise<ImageRecord> {
    const { header, payload } = readImage(bytes, { trustedKeys: this.options.trustedKeys });
    // A manifest's vendor file is kept on its own, by its digest, to be served as it came.
    if (servesVendorFile(header.family)) await this.store.put('vendorFile', payload);
    const sha256 = await this.store.put('image', bytes);
    return this.images.add(
      {
        sha256,
        model: header.model,
        version: header.version,
        configFormat: header.configFormat,
        size: bytes.length,
        payloadSha256: header.payloadSha256,
        family: header.family ?? null,
      },
      addedBy ?? null,
    );
  }

  async listImages(): Promise<ImageRecord[]> {
    return this.images.list();
  }

  async image(sha256: string): Promise<ImageRecord | undefined> {
    return this.images.get(sha256);
  }

  /** The full header of a stored image (reboot and boot flags included), for the upgrade phase. */
  async imageHeader(sha256: string): Promise<ImageHeader> {
    await this.requireImage(sha256);
    return inspectImageHeader(await this.store.read('image', sha256));
  }

  /**
   * Serves a stored image for one download under a fresh, unguessable name: the signed image itself
   * for the reference IAD, the vendor's file it wraps for another family.
   */
  async offerImage(sha256: string, protocol: TransferProtocol, recordWith?: OfferRecorder): Promise<FileOffer> {
    const image = await this.requireImage(sha256);
    if (servesVendorFile(image.family) && image.payloadSha256) {
      return this.desk.offerRead(requireProtocol(protocol), { kind: 'vendorFile', sha256: image.payloadSha256 }, recordWith);
    }
    return this.desk.offerRead(requireProtocol(protocol), { kind: 'image', sha256 }, recordWith);
  }

  /** Serves a stored configuration (a backup, a migration, an operator's file) for one download. */
  async offerConfig(backupSha256: string, protocol: TransferProtocol, recordWith?: OfferRecorder): Promise<FileOffer> {
    await this.requireBackup(backupSha256);
    return this.desk.offerRead(requireProtocol(protocol), { kind: 'config', sha256: backupSha256 }, recordWith);
  }

  /** An upload name (and for FTP credentials) for one backup. */
  async expectBackup(protocol: TransferProtocol, recordWith?: OfferRecorder): Promise<FileOffer> {
    return this.desk.expectUpload(requireProtocol(protocol), recordWith);
  }

  /**
   * Takes what a device uploaded for `offer` as a backup: checked (arrived, size, valid
   * configuration), stored and recorded. Called again for the same offer (after a crash), it returns
   * the same record, or the same refusal.
   */
  /** `owner.family`: whose text rules the backup is checked by; the reference format when absent. */
  async collectBackup(offer: FileOffer, owner: { deviceId: number; runId: string | null; family?: FamilyName }): Promise<BackupRecord> {
    const record = await this.desk.uploadOffer(offer);
    const what = `the upload ${JSON.stringify(offer.fileName)}`;
    if (record === undefined) throw new BackupError('missing', `${what} was never offered by this manager`);
    if (record.state === 'collected' && record.backupSha256 !== null) {
      const backup = await this.backups.get(record.backupSha256);
      if (backup) return backup;
    }
    if (record.state === 'rejected') throw new BackupError(record.rejection ?? 'unparsable', `${what} was refused before: ${record.rejection ?? 'unusable'}`);
    const bytes = await this.desk.uploaded(record);
    if (bytes === undefined) throw new BackupError('missing', `${what} did not arrive`);
    let checked: ReturnType<typeof checkConfigFile>;
    try {
      checked = checkConfigFile(bytes, this.options.maxBackupBytes, what, textRules(owner.family));
    } catch (error) {
      if (error instanceof BackupError) await this.desk.reject(record, error.reason);
      throw error;
    }
    // The file, its backup record and the offer's end: one commit.
    const backup = await this.desk.collect(record, async (db) => {
      await this.store.share(bytes, db);
      return this.backups.add(
        {
          sha256: checked.sha256,
          deviceId: owner.deviceId,
          runId: owner.runId,
          kind: 'backup',
          derivedFrom: null,
          configFormat: checked.configFormat,
          configDigest: checked.configDigest,
          size: checked.size,
        },
        db,
      );
    });
    await this.store.keep('config', checked.sha256, bytes);
    return backup;
  }

  /** Keeps a configuration the manager made (a migration) or an operator supplied; checked like a backup. */
  async storeConfig(
    bytes: Buffer,
    origin: { deviceId: number; runId: string | null; kind: Exclude<BackupKind, 'backup'>; derivedFrom: string | null; family?: FamilyName },
  ): Promise<BackupRecord> {
    const checked = checkConfigFile(bytes, this.options.maxBackupBytes, `the ${origin.kind} configuration`, textRules(origin.family));
    if (origin.derivedFrom !== null) await this.requireBackup(origin.derivedFrom);
    await this.store.put('config', bytes);
    return this.backups.add({
      sha256: checked.sha256,
      deviceId: origin.deviceId,
      runId: origin.runId,
      kind: origin.kind,
      derivedFrom: origin.derivedFrom,
      configFormat: checked.configFormat,
      configDigest: checked.configDigest,
      size: checked.size,
    });
  }

  /** The bytes of a stored configuration, checked against their digest. */
  async readBackup(sha256: string): Promise<Buffer> {
    await this.requireBackup(sha256);
    return this.store.read('config', sha256);
  }

  async backup(sha256: string): Promise<BackupRecord | undefined> {
    return isSha256(sha256) ? this.backups.get(sha256) : undefined;
  }

  /** A device's configuration files, newest first. */
  async listBackups(deviceId: number): Promise<BackupRecord[]> {
    return this.backups.listForDevice(deviceId);
  }

  /** Stops both servers (transfers under way are ended) and waits for pending bookkeeping. */
  async close(): Promise<void> {
    await Promise.allSettled([this.servers.tftp.close(), this.servers.ftp.close()]);
    await this.desk.close();
  }

  private async requireImage(sha256: string): Promise<ImageRecord> {
    const image = isSha256(sha256) ? await this.images.get(sha256) : undefined;
    if (image === undefined) throw new RangeError(`no image ${JSON.stringify(sha256)} in the store`);
    return image;
  }

  private async requireBackup(sha256: string): Promise<void> {
    if (!isSha256(sha256) || (await this.backups.get(sha256)) === undefined) throw new RangeError(`no configuration ${JSON.stringify(sha256)} in the store`);
  }
}

/** Passwords derived from a key this process makes: good until it stops (a manager gives its secrets key instead). */
function processTransferPasswords(): (username: string) => string {
  const key = randomBytes(32);
  return (username) => createHmac('sha256', key).update(username, 'utf8').digest('base64url');
}

function requireProtocol(protocol: TransferProtocol): TransferProtocol {
  if (protocol !== 'tftp' && protocol !== 'ftp') throw new RangeError(`protocol must be tftp or ftp, not ${JSON.stringify(protocol)}`);
  return protocol;
}

/** Whether an image of this family is a manifest whose vendor file is what devices get. */
function servesVendorFile(family: string | null | undefined): boolean {
  return family !== undefined && family !== null && family !== 'safeflash';
}

function textRules(family: FamilyName | undefined): ConfigurationText | undefined {
  return family ? familyNamed(family).configuration : undefined;
}
