// The manager's side of SAFEFLASH-MIB for one device: read what it is, order an operation with one SET,
// read an operation row back. What goes on the wire is the codecs' (src/protocol/safeflash-mib/); this
// class owns the session and the rule that nothing is sent outside the allowed networks.
import type { Endpoint } from '../protocol/endpoint.ts';
import { decodeDeviceReading, deviceReadingOids, type DeviceReading } from '../protocol/safeflash-mib/device-scalars.ts';
import {
  decodeOperationReading,
  operationReadingOids,
  orderVarbinds,
  type OperationOrder,
  type OperationReading,
} from '../protocol/safeflash-mib/operation-row.ts';
import type { SnmpSecurity } from '../protocol/snmp/security.ts';
import { SnmpSession } from '../protocol/snmp/session.ts';
import { udpTransport } from '../protocol/snmp/transport.ts';
import { AllowedNetworks } from './inventory/allowed-networks.ts';

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

export class DeviceDriver {
  /** Undefined when the device's address is outside the allowed networks: nothing is ever sent then. */
  readonly #session: SnmpSession | undefined;
  readonly #allowed: AllowedNetworks;

  constructor(
    readonly target: DeviceTarget,
    options: { timeoutMs?: number; retries?: number } = {},
  ) {
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
    return decodeDeviceReading(await this.#open().get(deviceReadingOids()));
  }

  /**
   * Orders an operation: one SET creating row `index` with createAndGo and every parameter. Repeating
   * the same order is harmless: the device answers it without starting a second operation.
   */
  async startOperation(index: number, order: OperationOrder): Promise<void> {
    await this.#open().set(orderVarbinds(index, order));
  }

  /** The operation row, or undefined when the device has no such row (e.g. it lost power meanwhile). */
  async readOperation(index: number): Promise<OperationReading | undefined> {
    return decodeOperationReading(index, await this.#open().get(operationReadingOids(index)));
  }

  close(): void {
    this.#session?.close();
  }
}
