// Many virtual devices in one process: device N lives on the N-th consecutive loopback address from
// the base, with its own state directory (<state-dir>/<address>/), its own SNMP engine and agent on
// the shared port, and its own fault plan.
import { join } from 'node:path';
import type { SnmpSecurity, UsmUser } from '../protocol/snmp/security.ts';
import { VirtualDevice } from './device.ts';
import type { FaultName, FaultPlan } from './faults.ts';
import { loopbackAddresses } from './loopback-addresses.ts';
import { DeviceAgent } from './snmp/device-agent.ts';
import type { NotificationOutcome } from './snmp/notifier.ts';
import type { Endpoint } from '../protocol/endpoint.ts';
import type { FactorySoftware } from './vendor-key.ts';
import type { Personality } from './snmp/personality.ts';

/** What device number n (1-based) is, when the fleet mixes families: its personality, model and software. */
export interface MemberKind {
  personality: Personality;
  model: string;
  software: FactorySoftware;
}

export interface FleetOptions {
  devices: number;
  baseAddress: string;
  port: number;
  stateDir: string;
  model: string;
  software: FactorySoftware;
  users: UsmUser[];
  communities: string[];
  notifySecurity: SnmpSecurity;
  /** Written as every device's notify target once it is up. */
  notifyTarget?: Endpoint;
  rebootMs: number;
  rebootRequired: boolean;
  /** What device number n is; the fleet's model and software under SAFEFLASH-MIB when not given. */
  kindOf?: (device: number) => MemberKind;
  /** The fault plan of device number n (1-based). */
  faults: (device: number) => FaultPlan;
  /** The largest image a bank of device n holds (sfBankCapacity); 64 MiB when not given. */
  bankBytes?: (device: number) => number | undefined;
  /** Devices powering on at the same time. */
  startConcurrency?: number;
  /** false: the devices' files are not flushed to the disk (DeviceOptions.flushWrites). Default true. */
  flushWrites?: boolean;
  onNotification?: (member: FleetMember, outcome: NotificationOutcome) => void;
  /** A countdown fault of device n's plan struck. */
  onFault?: (device: number, fault: FaultName) => void;
  onRequestError?: (member: FleetMember, error: Error) => void;
}

export interface FleetMember {
  /** 1-based, as fault scenarios select devices. */
  number: number;
  address: string;
  serial: string;
  /** The family whose personality the device answers as. */
  family: string;
  device: VirtualDevice;
  agent: DeviceAgent | undefined;
  personality: Personality | undefined;
}

/** A serial number that names the unit's address, so that an operator can tell the devices apart. */
export function serialFor(address: string): string {
  return `SF${address
    .split('.')
    .map((o) => Number(o).toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase()}`;
}

export class Fleet {
  private constructor(readonly members: FleetMember[]) {}

  static async start(options: FleetOptions): Promise<Fleet> {
    if (!Number.isInteger(options.devices) || options.devices < 1) throw new RangeError('a fleet has at least one device');
    const addresses = loopbackAddresses(options.baseAddress, options.devices);
    const members: FleetMember[] = addresses.map((address, i) => {
      const serial = serialFor(address);
      const kind = options.kindOf?.(i + 1);
      const software = kind?.software ?? options.software;
      const device = new VirtualDevice({
        address,
        stateDir: join(options.stateDir, address),
        model: kind?.model ?? options.model,
        serial,
        trustedKeys: [software.trustedKey],
        factoryImage: software.factoryImage,
        rebootMs: options.rebootMs,
        rebootRequired: options.rebootRequired,
        flushWrites: options.flushWrites ?? true,
        faults: options.faults(i + 1),
        ...(options.onFault ? { onFault: (fault: FaultName) => options.onFault!(i + 1, fault) } : {}),
        ...(options.bankBytes?.(i + 1) !== undefined ? { maxImageBytes: options.bankBytes(i + 1)! } : {}),
        ...(kind?.personality.configText ? { configText: kind.personality.configText } : {}),
      });
      return { number: i + 1, address, serial, family: kind?.personality.family ?? 'safeflash', device, agent: undefined, personality: kind?.personality };
    });
    const fleet = new Fleet(members);
    try {
      await inBatches(members, options.startConcurrency ?? 16, (member) => startMember(member, options));
    } catch (error) {
      await fleet.stop();
      throw error;
    }
    return fleet;
  }

  /** Stops every agent, then powers every device off; safe to call twice. */
  async stop(): Promise<void> {
    await Promise.allSettled(this.members.map((m) => m.agent?.stop()));
    await Promise.allSettled(this.members.map((m) => m.device.stop()));
  }
}

async function startMember(member: FleetMember, options: FleetOptions): Promise<void> {
  const { device } = member;
  // The agent first, so that the boot notification of this power-on is sent; it stays silent until the device answers.
  member.agent = await DeviceAgent.start({
    device,
    ...(member.personality ? { personality: member.personality } : {}),
    address: member.address,
    port: options.port,
    users: options.users,
    communities: options.communities,
    notifySecurity: options.notifySecurity,
    dropNotifications: () => device.faults.dropNotifications ?? 0,
    ...(options.onNotification ? { onNotification: (o: NotificationOutcome) => options.onNotification!(member, o) } : {}),
    ...(options.onRequestError ? { onRequestError: (e: Error) => options.onRequestError!(member, e) } : {}),
  });
  await device.start();
  if (options.notifyTarget) await device.setNotifyTarget(options.notifyTarget);
}

/** Runs `work` over `items` with at most `limit` at a time; the first failure is thrown once all settled. */
async function inBatches<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < items.length && failure === undefined) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
}
