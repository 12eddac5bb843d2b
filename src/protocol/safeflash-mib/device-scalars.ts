// The device group of SAFEFLASH-MIB (sfDevice scalars and sfBankTable) in one place: the device's state as
// the agent encodes it into cells, and as the manager decodes it from a GET. The manager's reading keeps
// digests as hex: a reading is recorded as JSON by the manager's durable steps and stored with the device.
import type { VarbindValue } from 'net-snmp';
import type { Endpoint } from '../endpoint.ts';
import { oid } from '../mib.ts';
import { encodeDateAndTime } from '../snmp/date-and-time.ts';
import type { Port } from '../snmp/interfaces-group.ts';
import { bufferValue, isException, numberValue, type Varbind } from '../snmp/varbind.ts';
import type { Bank, BankState, BootCause } from '../vocabulary.ts';
import { DeviceAnswerError, display, enums, label, text } from './cells.ts';
import { endpointCells } from './inet-address.ts';

/** One row of sfBankTable, as the device holds it. */
export interface BankStatus {
  bank: Bank;
  state: BankState;
  version: string;
  /** The configuration format the software in this bank expects; 0 when empty. */
  configFormat: number;
  /** SHA-256 of the image payload; undefined when empty. */
  imageDigest: Buffer | undefined;
}

/** Everything the device group says, as the device holds it. */
export interface DeviceStatus {
  model: string;
  serial: string;
  runningVersion: string;
  /** Version in the other bank when it holds a valid image, else ''. */
  previousVersion: string;
  activeBank: Bank;
  nextBootBank: Bank;
  /** Format of the running configuration. */
  configFormat: number;
  /** SHA-256 of the running configuration's canonical text. */
  configDigest: Buffer;
  rebootRequired: boolean;
  lastBootCause: BootCause;
  bootTime: Date;
  banks: BankStatus[];
  notifyTarget: Endpoint | undefined;
  /** What the device serves now (sfConditionGroup, and IF-MIB's ports). */
  activeCalls: number;
  registeredLines: number;
  activeAlarms: number;
  /** The largest image a bank holds, in bytes. */
  bankCapacity: number;
  ports: Port[];
}

/** What a device serves and how much room it has, as the manager reads it (sfConditionGroup). */
export interface ConditionReading {
  activeCalls: number;
  registeredLines: number;
  activeAlarms: number;
  bankCapacity: number;
}

/**
 * The device as the manager reads it: what a run decides on, without the boot time and notify target,
 * digests in hex.
 */
export type DeviceReading = Omit<DeviceStatus, 'configDigest' | 'bootTime' | 'notifyTarget' | 'banks' | keyof ConditionReading | 'ports'> & {
  configDigest: string;
  /** imageDigest: when the device reports one. */
  banks: Array<Omit<BankStatus, 'imageDigest'> & { imageDigest?: string }>;
};

// ------------------------------------------------------------------ encode (the agent)

export function deviceScalarCells(status: DeviceStatus): Record<string, VarbindValue> {
  const notify = endpointCells(status.notifyTarget);
  return {
    sfDeviceModel: display(status.model, 64),
    sfDeviceSerial: display(status.serial, 64),
    sfRunningVersion: display(status.runningVersion, 64),
    sfPreviousVersion: display(status.previousVersion, 64),
    sfActiveBank: enums.bank.number(status.activeBank),
    sfNextBootBank: enums.bank.number(status.nextBootBank),
    sfConfigFormat: status.configFormat,
    sfConfigDigest: status.configDigest,
    sfRebootRequired: enums.truth.number(status.rebootRequired ? 'true' : 'false'),
    sfLastBootCause: enums.bootCause.number(status.lastBootCause),
    sfBootTime: encodeDateAndTime(status.bootTime),
    sfNotifyAddressType: notify.type,
    sfNotifyAddress: notify.address,
    sfNotifyPort: notify.port,
    sfActiveCalls: status.activeCalls,
    sfBankCapacity: status.bankCapacity,
    sfRegisteredLines: status.registeredLines,
    sfActiveAlarms: status.activeAlarms,
  };
}

export function bankCells(bank: BankStatus): Record<string, VarbindValue> {
  return {
    sfBankIndex: enums.bank.number(bank.bank),
    sfBankState: enums.bankState.number(bank.state),
    sfBankVersion: display(bank.version, 64),
    sfBankConfigFormat: bank.configFormat,
    sfBankImageDigest: bank.imageDigest ?? Buffer.alloc(0),
  };
}

// ------------------------------------------------------------------ decode (the manager)

const readScalars = [
  'sfDeviceModel',
  'sfDeviceSerial',
  'sfRunningVersion',
  'sfPreviousVersion',
  'sfActiveBank',
  'sfNextBootBank',
  'sfConfigFormat',
  'sfConfigDigest',
  'sfRebootRequired',
  'sfLastBootCause',
] as const;
const readBankColumns = ['sfBankState', 'sfBankVersion', 'sfBankConfigFormat'] as const;
const bankNumbers = enums.bank.labels.map((b) => enums.bank.number(b));

/** What a reading asks for, in one GET: the scalars, each bank's columns, then each bank's image digest. */
export function deviceReadingOids(): string[] {
  return [
    ...readScalars.map((name) => `${oid(name)}.0`),
    ...bankNumbers.flatMap((n) => readBankColumns.map((name) => `${oid(name)}.${n}`)),
    ...bankNumbers.map((n) => `${oid('sfBankImageDigest')}.${n}`),
  ];
}

/** Values in the order of `names`; DeviceAnswerError naming the first object the device does not have. */
export function byName<const Names extends readonly string[]>(names: Names, varbinds: Varbind[]): Record<Names[number], Varbind> {
  const values = {} as Record<Names[number], Varbind>;
  names.forEach((name, i) => {
    const v = varbinds[i];
    if (!v || isException(v)) throw new DeviceAnswerError(`the device does not have ${name}`);
    values[name as Names[number]] = v;
  });
  return values;
}

/** The answer to deviceReadingOids(). */
export function decodeDeviceReading(varbinds: Varbind[]): DeviceReading {
  const d = byName(readScalars, varbinds);
  const digestsAt = readScalars.length + bankNumbers.length * readBankColumns.length;
  const banks = bankNumbers.map((n, i) => {
    const cells = byName(readBankColumns, varbinds.slice(readScalars.length + i * readBankColumns.length));
    // The digest is optional: a device that does not report it is judged by version alone.
    const digest = varbinds[digestsAt + i];
    const imageDigest = digest && !isException(digest) ? bufferValue(digest).toString('hex') : '';
    return {
      bank: enums.bank.label(n)!,
      state: label(enums.bankState, cells.sfBankState),
      version: text(cells.sfBankVersion),
      configFormat: numberValue(cells.sfBankConfigFormat),
      ...(imageDigest !== '' ? { imageDigest } : {}),
    };
  });
  return {
    model: text(d.sfDeviceModel),
    serial: text(d.sfDeviceSerial),
    runningVersion: text(d.sfRunningVersion),
    previousVersion: text(d.sfPreviousVersion),
    activeBank: label(enums.bank, d.sfActiveBank),
    nextBootBank: label(enums.bank, d.sfNextBootBank),
    configFormat: numberValue(d.sfConfigFormat),
    configDigest: bufferValue(d.sfConfigDigest).toString('hex'),
    rebootRequired: enums.truth.label(numberValue(d.sfRebootRequired)) === 'true',
    lastBootCause: label(enums.bootCause, d.sfLastBootCause),
    banks,
  };
}

const conditionScalars = ['sfActiveCalls', 'sfRegisteredLines', 'sfActiveAlarms', 'sfBankCapacity'] as const;

/** What a condition reading asks for, in one GET. */
export function conditionOids(): string[] {
  return conditionScalars.map((name) => `${oid(name)}.0`);
}

/** The answer to conditionOids(). */
export function decodeCondition(varbinds: Varbind[]): ConditionReading {
  const d = byName(conditionScalars, varbinds);
  return {
    activeCalls: numberValue(d.sfActiveCalls),
    registeredLines: numberValue(d.sfRegisteredLines),
    activeAlarms: numberValue(d.sfActiveAlarms),
    bankCapacity: numberValue(d.sfBankCapacity),
  };
}
