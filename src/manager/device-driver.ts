// The manager's connection to one device: the SNMP session, opened only to addresses inside the allowed
// networks, and the device's family driver over it (src/families/). What goes on the wire is the
// family's; this class owns the session and the rule that nothing is sent outside the allowed networks.
import { family as familyNamed } from '../families/families.ts';
import type { DeviceCondition, DeviceReading, DeviceSystem, FamilyDriver, FamilyName } from '../families/family.ts';
import { readSystem } from '../families/system-group.ts';
import type { Endpoint } from '../protocol/endpoint.ts';
import type { OperationOrder, OperationReading } from '../protocol/safeflash-mib/operation-row.ts';
import type { SnmpSecurity } from '../protocol/snmp/security.ts';
import { SnmpSession, type SnmpSessionOptions } from '../protocol/snmp/session.ts';
import type { SnmpLease, SnmpSessionPool } from '../protocol/snmp/session-pool.ts';
import { udpTransport } from '../protocol/snmp/transport.ts';
import type { OperationType } from '../protocol/vocabulary.ts';
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
  /** The device's family; the reference IAD's when not given. */
  family?: FamilyName;
  /** Where the session is borrowed from and returned to on close; a session of its own when not given. */
  sessions?: SnmpSessionPool;
}

export class DeviceDriver implements FamilyDriver {
  /** Undefined when the device's address is outside the allowed networks: nothing is ever sent then. */
  readonly #session: SnmpSession | undefined;
  readonly #lease: SnmpLease | undefined;
  readonly #allowed: AllowedNetworks;

  constructor(
    readonly target: DeviceTarget,
    options: { timeoutMs?: number; retries?: number } = {},
  ) {
    this.#allowed = target.allowedNetworks ?? AllowedNetworks.loopback;
    if (!this.#allowed.allows(target.endpoint.address)) return;
    const source = target.sourceAddress;
    const session: SnmpSessionOptions = {
      peer: target.endpoint,
      security: target.security,
      ...(source && udpTransport(source) === udpTransport(target.endpoint.address) ? { sourceAddress: source } : {}),
      timeoutMs: options.timeoutMs ?? 2000,
      retries: options.retries ?? 1,
    };
    this.#lease = target.sessions?.lease(session);
    this.#session = this.#lease?.session ?? new SnmpSession(session);
  }

  /** The session to the device; throws NetworkNotAllowedError for an address the manager may not send to. */
  #open(): SnmpSession {
    if (!this.#session) this.#allowed.check(this.target.endpoint.address);
    return this.#session!;
  }

  #driver(): FamilyDriver {
    return familyNamed(this.target.family ?? 'safeflash').driver(this.#open());
  }

  /** The same device driven as another family (discovery, once it has recognised the device). */
  withFamily(family: FamilyName): FamilyDriver {
    return familyNamed(family).driver(this.#open());
  }

  /** What the device says it is (its system group), whatever its family. */
  async system(): Promise<DeviceSystem> {
    return readSystem(this.#open());
  }

  async read(): Promise<DeviceReading> {
    return this.#driver().read();
  }

  async startOperation(index: number, order: OperationOrder): Promise<void> {
    return this.#driver().startOperation(index, order);
  }

  async readOperation(index: number, type: OperationType): Promise<OperationReading | undefined> {
    return this.#driver().readOperation(index, type);
  }

  async readCondition(): Promise<DeviceCondition> {
    return this.#driver().readCondition();
  }

  /** Gives the session back to its pool, or closes it when it was the driver's own. */
  close(): void {
    if (this.#lease) this.#lease.release();
    else this.#session?.close();
  }
}
