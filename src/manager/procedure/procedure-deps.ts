// What the procedure needs from the rest of the manager: its repositories, the file service, a way to
// command a device, and where devices send their notifications.
import type { FamilyName } from '../../families/family.ts';
import type { Endpoint } from '../../protocol/endpoint.ts';
import type { TransferProtocol } from '../../protocol/transfer-contract.ts';
import type { DeviceDriver } from '../device-driver.ts';
import type { OperationSignals } from './operation-signals.ts';
import type { LiveEvents } from '../live-events.ts';
import type { FileOffer } from '../files/file-offer.ts';
import type { OfferRecorder } from '../files/offer-desk.ts';
import type { BackupRecord, DeviceRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';
import type { PhaseTimeouts } from './timeouts.ts';

export type { FileOffer } from '../files/file-offer.ts';

/** The part of ManagerFiles (src/manager/files/manager-files.ts) the procedure uses. */
export interface ProcedureFiles {
  /** `recordWith`: how the offer's row is written (at once when absent; a run's journal writes it before the device hears of it). */
  offerImage(sha256: string, protocol: TransferProtocol, recordWith?: OfferRecorder): Promise<FileOffer>;
  offerConfig(backupSha256: string, protocol: TransferProtocol, recordWith?: OfferRecorder): Promise<FileOffer>;
  expectBackup(protocol: TransferProtocol, recordWith?: OfferRecorder): Promise<FileOffer>;
  /** Throws BackupError (reason: missing, empty, unparsable, tooLarge) when no usable backup arrived. */
  /** `family`: whose text rules the configuration is checked by (the reference format when absent). */
  collectBackup(offer: FileOffer, owner: { deviceId: number; runId: string; family?: FamilyName }): Promise<BackupRecord>;
  storeConfig(
    bytes: Buffer,
    meta: { deviceId: number; runId: string; kind: 'migrated' | 'operator'; derivedFrom: string | null; family?: FamilyName },
  ): Promise<BackupRecord>;
  readBackup(sha256: string): Promise<Buffer>;
  /** The password of the FTP transfer issued to `username`: derived again whenever it is needed, never recorded. */
  transferPassword(username: string): string;
  /** Where this manager's server of `protocol` is reached. */
  endpoint(protocol: TransferProtocol): Endpoint;
}

/** The device commands the procedure gives (DeviceDriver's). */
export type DeviceCommands = Pick<DeviceDriver, 'read' | 'readCondition' | 'startOperation' | 'readOperation' | 'close'>;

export interface ProcedureDeps {
  store: Pick<Store, 'runs' | 'devices' | 'images' | 'backups' | 'routes' | 'steps'>;
  /**
   * The same tables through the operators' own connections: what an operator asks (start a run,
   * decide, cancel) does not queue behind the runs' work. The store when absent.
   */
  operatorStore?: Pick<Store, 'runs' | 'devices' | 'images' | 'backups'>;
  files: ProcedureFiles;
  driverFor(device: DeviceRecord): DeviceCommands;
  /** The manager's notification receiver, named in every operation the procedure orders. */
  notifyTarget: Endpoint;
  timeouts?: Partial<PhaseTimeouts>;
  /** How devices move files when neither a run, its campaign nor the device says: TFTP unless told otherwise. */
  protocol?: TransferProtocol;
  /** Where runs' changes are published as they happen (the dashboard's live view). */
  live?: LiveEvents;
  /**
   * Wakes the runs' waits when their operations' notifications are recorded; the manager also hands
   * it what other managers announce. Absent: this process's own wake-ups only.
   */
  signals?: OperationSignals;
}
