// The manager's side of SAFEFLASH-MIB for one device: read what it is, order an operation with one SET,
// read an operation row back. Numbers come from the MIB; callers see the device's own vocabulary.
import { enumeration, oid } from '../protocol/mib.ts';
import { SnmpSession } from '../protocol/snmp/session.ts';
import type { SnmpSecurity } from '../protocol/snmp/security.ts';
import { bufferValue, integer, isException, numberValue, octets, unsigned, type Varbind } from '../protocol/snmp/varbind.ts';
import type { TransferProtocol } from '../protocol/transfer-contract.ts';
import type { Bank, BankState, BootCause, FailCause, OperationState, OperationType } from '../protocol/vocabulary.ts';
import type { Endpoint } from '../protocol/endpoint.ts';
import { udpTransport } from '../protocol/snmp/transport.ts';
import { AllowedNetworks } from './inventory/allowed-networks.ts';
import { addressOctets } from '../protocol/ip-address.ts';

export interface DeviceTarget {
  /** Where the device's SNMP agent listens. */
  endpoint: Endpoint;
  security: SnmpSecurity;
  /**
   * The manager's own address to send from (loopback in tests and demos). Used for devices of its
   * family only: an IPv6 device is reached from an address the OS picks when this one is IPv4.
   */
  sourceAddress?: string;
  /** The networks the manager may send to; loopback only when not given. */
  allowedNetworks?: AllowedNetworks;
}

export interface DeviceReading {
  model: string;
  serial: string;
  runningVersion: string;
  previousVersion: string;
  activeBank: Bank;
  nextBootBank: Bank;
  configFormat: number;
  configDigest: string;
  rebootRequired: boolean;
  lastBootCause: BootCause;
  /** imageDigest: SHA-256 of the bank's image payload (hex), when the device reports one. */
  banks: { bank: Bank; state: BankState; version: string; configFormat: number; imageDigest?: string }[];
}

export interface OperationOrder {
  type: OperationType;
  protocol?: TransferProtocol;
  server?: Endpoint;
  fileName?: string;
  username?: string;
  password?: string;
  notifyTarget?: Endpoint;
}

export interface OperationReading {
  index: number;
  type: OperationType;
  state: OperationState;
  progress: number;
  failCause: FailCause;
  failMessage: string;
}

const enums = {
  bank: enumeration<Bank>('sfActiveBank'),
  bankState: enumeration<BankState>('sfBankState'),
  truth: enumeration('sfRebootRequired'),
  bootCause: enumeration<BootCause>('sfLastBootCause'),
  opType: enumeration<OperationType>('sfOpType'),
  protocol: enumeration<TransferProtocol>('sfOpProtocol'),
  opState: enumeration<OperationState>('sfOpState'),
  failCause: enumeration<FailCause>('sfOpFailCause'),
  addressType: enumeration('sfOpServerAddressType'),
  rowStatus: enumeration('sfOpRowStatus'),
};

const deviceScalars = [
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

const bankColumns = ['sfBankState', 'sfBankVersion', 'sfBankConfigFormat'] as const;
const operationColumns = ['sfOpType', 'sfOpState', 'sfOpProgress', 'sfOpFailCause', 'sfOpFailMessage'] as const;

/** Reading a value the MIB does not define is the device's fault, not ours: say which object. */
export class DeviceAnswerError extends Error {
  override name = 'DeviceAnswerError';
}

function label<L extends string>(e: { label(n: number): L | undefined; name: string }, v: Varbind): L {
  const found = e.label(numberValue(v));
  if (found === undefined) throw new DeviceAnswerError(`${e.name} has no value ${String(v.value)}`);
  return found;
}

function text(v: Varbind): string {
  return bufferValue(v).toString('utf8');
}

function byName<const Names extends readonly string[]>(names: Names, varbinds: Varbind[]): Record<Names[number], Varbind> {
  const values = {} as Record<Names[number], Varbind>;
  names.forEach((name, i) => {
    const v = varbinds[i];
    if (!v || isException(v)) throw new DeviceAnswerError(`the device does not have ${name}`);
    values[name as Names[number]] = v;
  });
  return values;
}

/** INET-ADDRESS-MIB's InetAddressType and InetAddress for an endpoint's address (RFC 4001: 4 or 16 octets). */
function inetAddress(address: string): { type: number; octets: Buffer } {
  const octets = addressOctets(address);
  if (!octets) throw new Error(`${address} is not an IP address`);
  return { type: enums.addressType.number(octets.length === 4 ? 'ipv4' : 'ipv6'), octets };
}

export class DeviceDriver {
  /** Undefined when the device's address is outside the allowed networks: nothing is ever sent then. */
  readonly #session: SnmpSession | undefined;
  readonly #allowed: AllowedNetworks;

  constructor(readonly target: DeviceTarget, options: { timeoutMs?: number; retries?: number } = {}) {
    this.#allowed = target.allowedNetworks ?? AllowedNetworks.loopback;
    const source = target.sourceAddress;
    this.#session = this.#allowed.allows(target.endpoint.address)
      ? new SnmpSession({
          peer: target.endpoint,
          security: target.security,
          ...(source && udpTransport(source) === udpTransport(target.endpoint.address) ? { sourceAddress: source } : {}),
          timeoutMs: options.timeoutMs ?? 2000,
          retries: options.retries ?? 1,
        })
      : undefined;
  }

  /** The session to the device; throws NetworkNotAllowedError for an address the manager may not send to. */
  #open(): SnmpSession {
    if (!this.#session) this.#allowed.check(this.target.endpoint.address);
    return this.#session!;
  }

  async read(): Promise<DeviceReading> {
    const bankNumbers = enums.bank.labels.map((b) => enums.bank.number(b));
    const varbinds = await this.#open().get([
      ...deviceScalars.map((name) => `${oid(name)}.0`),
      ...bankNumbers.flatMap((n) => bankColumns.map((name) => `${oid(name)}.${n}`)),
      ...bankNumbers.map((n) => `${oid('sfBankImageDigest')}.${n}`),
    ]);
    const d = byName(deviceScalars, varbinds);
    const digestsAt = deviceScalars.length + bankNumbers.length * bankColumns.length;
    const banks = bankNumbers.map((n, i) => {
      const cells = byName(bankColumns, varbinds.slice(deviceScalars.length + i * bankColumns.length));
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

  /**
   * Orders an operation: one SET creating row `index` with createAndGo and every parameter. Repeating
   * the same order is harmless: the device answers it without starting a second operation.
   */
  async startOperation(index: number, order: OperationOrder): Promise<void> {
    const cell = (name: string) => `${oid(name)}.${index}`;
    const varbinds: Varbind[] = [
      integer(cell('sfOpType'), enums.opType.number(order.type)),
      integer(cell('sfOpProtocol'), enums.protocol.number(order.protocol ?? 'tftp')),
    ];
    if (order.server) {
      const server = inetAddress(order.server.address);
      varbinds.push(
        integer(cell('sfOpServerAddressType'), server.type),
        octets(cell('sfOpServerAddress'), server.octets),
        unsigned(cell('sfOpServerPort'), order.server.port),
      );
    }
    if (order.fileName !== undefined) varbinds.push(octets(cell('sfOpFileName'), order.fileName));
    if (order.username !== undefined) varbinds.push(octets(cell('sfOpUserName'), order.username));
    if (order.password !== undefined) varbinds.push(octets(cell('sfOpPassword'), order.password));
    if (order.notifyTarget) {
      const notify = inetAddress(order.notifyTarget.address);
      varbinds.push(
        integer(cell('sfOpNotifyAddressType'), notify.type),
        octets(cell('sfOpNotifyAddress'), notify.octets),
        unsigned(cell('sfOpNotifyPort'), order.notifyTarget.port),
      );
    }
    varbinds.push(integer(cell('sfOpRowStatus'), enums.rowStatus.number('createAndGo')));
    await this.#open().set(varbinds);
  }

  /** The operation row, or undefined when the device has no such row (e.g. it lost power meanwhile). */
  async readOperation(index: number): Promise<OperationReading | undefined> {
    const varbinds = await this.#open().get(operationColumns.map((name) => `${oid(name)}.${index}`));
    if (varbinds.some(isException)) return undefined;
    const cells = byName(operationColumns, varbinds);
    return {
      index,
      type: label(enums.opType, cells.sfOpType),
      state: label(enums.opState, cells.sfOpState),
      progress: numberValue(cells.sfOpProgress),
      failCause: label(enums.failCause, cells.sfOpFailCause),
      failMessage: text(cells.sfOpFailMessage),
    };
  }

  close(): void {
    this.#session?.close();
  }
}
