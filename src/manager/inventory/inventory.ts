// The inventory as operators use it: add a device they describe, discover the devices of an address
// block, import a file of them, read one again, remove one. Input is checked here; the store only keeps
// rows, and records who changed them (the actor each of these is given) for the audit.
import type { Actor, DeviceRecord } from '../store/records.ts';
import type { DeviceStore } from '../store/devices.ts';
import { checkDeviceSpec, type DeviceSpec } from './device-spec.ts';
import { parseCidr } from './cidr.ts';
import { AllowedNetworks, NetworkNotAllowedError } from './allowed-networks.ts';
import { discover, type DiscoverOptions } from './discover.ts';
import { DeviceDriver } from '../device-driver.ts';
import type { DeviceReading } from '../../families/family.ts';
import { parseImport, type ImportFormat } from './import-file.ts';

/** What the operator gave cannot describe a device; nothing was changed. */
export class DeviceSpecError extends Error {
  override name = 'DeviceSpecError';
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

export interface DiscoverRequest {
  cidr: string;
  /** Port and credentials the devices of the block answer with. */
  credentials: Omit<DeviceSpec, 'address' | 'name'>;
  concurrency?: number;
  timeoutMs?: number;
  /** Who asks: recorded with each device the discovery adds. */
  actor: Actor;
}

export interface DiscoveryReport {
  cidr: string;
  scanned: number;
  /** Devices that answered: added to the inventory, or already in it (their readings refreshed). */
  found: Array<{ device: DeviceRecord; added: boolean }>;
  /** Addresses that answered but could not be read (wrong credentials, not a SAFEFLASH-MIB device). */
  unreadable: Array<{ address: string; error: string }>;
}

export interface InventoryOptions {
  /** The manager's address when it sends SNMP (IPv4 or IPv6; used for devices of its family). */
  sourceAddress?: string;
  /** The networks the manager may talk to; loopback only when not given. */
  allowedNetworks?: AllowedNetworks;
  /** A device was added or read again: what the inventory shows of it changed (the dashboard reloads). */
  onChange?: (deviceId: number) => void;
}

/** The device did not answer, or answered with something that is not SAFEFLASH-MIB; its row is unchanged. */
export class DeviceUnreadableError extends Error {
  override name = 'DeviceUnreadableError';
}

export class Inventory {
  readonly allowedNetworks: AllowedNetworks;

  constructor(
    readonly devices: DeviceStore,
    private readonly options: InventoryOptions = {},
  ) {
    this.allowedNetworks = options.allowedNetworks ?? AllowedNetworks.loopback;
  }

  async add(spec: DeviceSpec, actor: Actor): Promise<DeviceRecord> {
    const checked = checkDeviceSpec(spec, this.allowedNetworks);
    if (!checked.ok) throw new DeviceSpecError(checked.problems);
    return this.#changed(await this.devices.add(checked.device, { action: 'device.add', actor }));
  }

  async import(text: string, format: ImportFormat, actor: Actor): Promise<DeviceRecord[]> {
    const added = await this.devices.addAll(parseImport(text, format, this.allowedNetworks), actor);
    for (const device of added) this.#changed(device);
    return added;
  }

  /**
   * Reads the device again (model, versions, banks, configuration format) and records it, with the
   * time it was seen. Throws DeviceUnreadableError when it does not answer, NetworkNotAllowedError when
   * its address is outside the allowed networks (nothing is sent then).
   */
  async refresh(device: DeviceRecord, actor: Actor): Promise<DeviceRecord> {
    const driver = new DeviceDriver({
      endpoint: { address: device.address, port: device.port },
      security: device.security,
      family: device.family,
      allowedNetworks: this.allowedNetworks,
      ...(this.options.sourceAddress ? { sourceAddress: this.options.sourceAddress } : {}),
    });
    let reading: DeviceReading;
    try {
      reading = await driver.read();
    } catch (error) {
      if (error instanceof NetworkNotAllowedError) throw error;
      throw new DeviceUnreadableError(`${device.name} at ${device.address}:${device.port} could not be read: ${(error as Error).message}`, { cause: error });
    } finally {
      driver.close();
    }
    return this.#changed((await this.devices.recordRefresh(device.id, reading, actor)) ?? device);
  }

  /** Removes the device (DeviceInUseError while it has runs or backups on record); false when there was none. */
  async remove(device: DeviceRecord, actor: Actor): Promise<boolean> {
    const removed = await this.devices.remove(device.id, actor);
    // The dashboard reads the device again, finds it gone, and drops it from its lists.
    if (removed) this.options.onChange?.(device.id);
    return removed;
  }

  #changed(device: DeviceRecord): DeviceRecord {
    this.options.onChange?.(device.id);
    return device;
  }

  /**
   * Throws CidrError for a block it cannot scan, NetworkNotAllowedError for one outside the allowed
   * networks, DeviceSpecError for bad credentials: nothing is sent then.
   */
  async discover(request: DiscoverRequest): Promise<DiscoveryReport> {
    const block = parseCidr(request.cidr);
    if (!this.allowedNetworks.covers(block.network)) throw new NetworkNotAllowedError(this.allowedNetworks.refusal(`block ${block.cidr}`));
    const checked = checkDeviceSpec({ ...request.credentials, address: block.hosts[0] }, this.allowedNetworks);
    if (!checked.ok) throw new DeviceSpecError(checked.problems);
    const { port, security, tags } = checked.device;
    const options: DiscoverOptions = {
      port,
      security,
      allowedNetworks: this.allowedNetworks,
      ...(this.options.sourceAddress ? { sourceAddress: this.options.sourceAddress } : {}),
      ...(request.concurrency ? { concurrency: request.concurrency } : {}),
      ...(request.timeoutMs ? { timeoutMs: request.timeoutMs } : {}),
    };
    const probes = await discover(block, options);
    const report: DiscoveryReport = { cidr: block.cidr, scanned: block.hosts.length, found: [], unreadable: [] };
    for (const probe of probes) {
      if (!probe.answered) continue;
      if ('error' in probe) {
        report.unreadable.push({ address: probe.address, error: probe.error });
        continue;
      }
      const known = await this.devices.findByEndpoint(probe.address, port);
      // What a discovery changes in the inventory is the devices it adds: each is recorded as it is
      // added, one by one (a discovery cut short keeps those it added, with their records). A known
      // device it reads again stays as it was, but for its readings.
      if (known) {
        report.found.push({ device: this.#changed((await this.devices.recordReading(known.id, probe.reading)) ?? known), added: false });
        continue;
      }
      const spec = checkDeviceSpec({ ...request.credentials, address: probe.address }, this.allowedNetworks);
      if (!spec.ok) throw new DeviceSpecError(spec.problems);
      try {
        const added = await this.devices.add(
          { ...spec.device, tags, family: probe.family },
          { action: 'device.discover', actor: request.actor, detail: { cidr: block.cidr } },
        );
        report.found.push({ device: this.#changed((await this.devices.recordReading(added.id, probe.reading)) ?? added), added: true });
      } catch (error) {
        report.unreadable.push({ address: probe.address, error: (error as Error).message });
      }
    }
    return report;
  }
}
