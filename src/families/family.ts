// The device-family port: what the procedure needs from any kind of equipment, and what a family says it
// can do. A family is one folder under src/families/ (its objects, codec, driver and agent personality);
// the manager reaches equipment only through this port, so that one workflow drives every family.
import type { DeviceReading as SafeflashReading } from '../protocol/safeflash-mib/device-scalars.ts';
import type { OperationOrder, OperationReading } from '../protocol/safeflash-mib/operation-row.ts';
import type { Port } from '../protocol/snmp/interfaces-group.ts';
import type { Varbind } from '../protocol/snmp/varbind.ts';
import { type Bank, type BootCause, type FailCause, isOneOf, type OperationState, type OperationType } from '../protocol/vocabulary.ts';

/** The families Safeflash drives, in the order an operator sees them listed. */
export const familyNames = ['safeflash', 'huawei', 'cisco-ios', 'docsis'] as const;
export type FamilyName = (typeof familyNames)[number];

export function isFamilyName(value: unknown): value is FamilyName {
  return isOneOf(familyNames, value);
}

/**
 * A device as its driver reads it, in the procedure's words. What a family's objects do not tell is
 * null: which bank runs (a modem shows no banks), the configuration's digest (vendor MIBs have none),
 * the configuration's format, why it last booted.
 */
export type DeviceReading = Omit<SafeflashReading, 'activeBank' | 'nextBootBank' | 'configDigest' | 'configFormat' | 'lastBootCause'> & {
  activeBank: Bank | null;
  nextBootBank: Bank | null;
  configFormat: number | null;
  configDigest: string | null;
  lastBootCause: BootCause | null;
};

/**
 * What a device serves and how much room it has: read before the first change, before activation and
 * after verify, for the pre-checks and post-checks. Null where the family's objects do not say.
 */
export interface DeviceCondition {
  /** IF-MIB's ports. */
  ports: Port[] | null;
  activeCalls: number | null;
  /** Voice lines registered with their call server. */
  registeredLines: number | null;
  activeAlarms: number | null;
  /** The largest image the inactive bank holds, in bytes. */
  bankCapacity: number | null;
  /** The operation the device runs now (its type, and its index where it has one); '' when none. */
  operationInProgress: string | null;
}

/** What a family's equipment can and cannot do; the run's plan is drawn from it. */
export interface Capabilities {
  /** The device reports progress while an operation runs (else only its end). */
  progress: boolean;
  /** The device announces an operation's end (else the manager learns it by polling only). */
  notifications: boolean;
  /**
   * After a download: `ordered` the manager orders the reboot; `self` the device reboots by itself
   * and the download ends once the new software runs; `none` the software applies in place.
   */
  reboot: 'ordered' | 'self' | 'none';
  /** Operations the device runs at the same time. */
  operationsAtOnce: number;
  /**
   * The device keeps each operation as a row under the index the manager chose (an operation table),
   * so an order found at a step's index is that step's own; a device with one status for all its
   * upgrades (a cable modem) shows no such thing.
   */
  operationRows: boolean;
  /** The configuration can be backed up and restored over the network (else it comes from elsewhere). */
  configBackup: boolean;
  /** The device reports a digest of its running configuration (else a restore is verified by backing up again). */
  configDigest: boolean;
  /** The device can be ordered back to the software it ran before (else it only falls back by itself). */
  revert: boolean;
  /** The device converts a configuration to another format itself, when ordered to. */
  convertsConfig: boolean;
  /**
   * New software can be written to the inactive bank without being marked for boot, and activated
   * later (else a staged run downloads it at activation).
   */
  stages: boolean;
}

/** What SNMPv2-MIB's system group says of a device: how a family is recognised. */
export interface DeviceSystem {
  sysObjectID: string;
  sysDescr: string;
}

/** The SNMP requests a driver makes: the manager opens the session (and checks where it may send). */
export interface DeviceSession {
  get(oids: string[]): Promise<Varbind[]>;
  set(varbinds: Varbind[]): Promise<unknown>;
  /** Every instance under an OID (a table's column, say), in order. */
  walk(oid: string): Promise<Varbind[]>;
  /** The instances of several columns of a table, walked side by side (fewer requests than a walk each). */
  walkColumns(columns: readonly string[]): Promise<Varbind[][]>;
}

/** An order the family cannot carry out (e.g. a configuration backup on a cable modem): nothing was sent. */
export class UnsupportedOrder extends Error {
  override name = 'UnsupportedOrder';
}

/** One device of a family, driven over an open session. */
export interface FamilyDriver {
  read(): Promise<DeviceReading>;
  /**
   * Orders an operation under the manager's index. Repeating the same order is harmless: the device
   * answers it without starting a second operation. Throws UnsupportedOrder for what the family cannot do.
   */
  startOperation(index: number, order: OperationOrder): Promise<void>;
  /** The operation's state; undefined when the device has no such operation (e.g. it lost power meanwhile). */
  readOperation(index: number, type: OperationType): Promise<OperationReading | undefined>;
  readCondition(): Promise<DeviceCondition>;
}

/**
 * A notification in the procedure's words. `index` is the operation it is about, or undefined when the
 * family's notifications do not name one (the device's latest operation is meant).
 */
export type FamilyNotification =
  | { kind: 'operationProgress'; index: number | undefined; state: OperationState; progress: number }
  | { kind: 'operationCompleted'; index: number | undefined; state: OperationState; failCause: FailCause; failMessage: string }
  | { kind: 'bootCompleted'; runningVersion: string; activeBank: Bank | null; lastBootCause: BootCause };

/**
 * How a family's configuration reads as text. The manager never interprets a vendor's configuration:
 * it checks that a backup is one, reads the format it declares, and compares two of them line by line,
 * leaving out the lines that change by themselves.
 */
export interface ConfigurationText {
  /** Why the text is not a configuration of this family; empty when it is one. */
  problems(text: string): string[];
  /** The configuration format the text declares (its software's dialect), or null when it declares none. */
  formatOf(text: string): number | null;
  /** A line that changes by itself (a timestamp, a byte count): left out of digests and comparisons. */
  isVolatile(line: string): boolean;
  /**
   * The configuration converted to the format `toFormat` (the dialect of the software that reads it),
   * with the names of the steps taken; MigrationError when there is no way there. The text given is only read.
   */
  migrate(text: Buffer, model: string, toFormat: number): { text: Buffer; steps: string[] };
}

export interface Family {
  readonly name: FamilyName;
  /** How an operator calls such equipment. */
  readonly title: string;
  readonly capabilities: Capabilities;
  /** How its configuration reads; absent: the reference format (src/protocol/config.ts), with its header. */
  readonly configuration?: ConfigurationText;
  recognises(system: DeviceSystem): boolean;
  driver(session: DeviceSession): FamilyDriver;
  /** Undefined when the notification is not this family's, or is malformed. */
  decodeNotification(notificationOid: string, varbinds: readonly Varbind[]): FamilyNotification | undefined;
}
