// One virtual device's SNMP agent on the device's own address and engine ID, answering as its family's
// personality (SAFEFLASH-MIB unless told otherwise) plus what every agent serves (the system group and
// IF-MIB's interfaces), and the notifier for its events.
import { SnmpAgent } from '../../protocol/snmp/agent.ts';
import { engineIdForAddress } from '../../protocol/snmp/engine-id.ts';
import type { SnmpSecurity, UsmUser } from '../../protocol/snmp/security.ts';
import type { Endpoint } from '../../protocol/endpoint.ts';
import type { ManagedDevice } from './managed-device.ts';
import { Notifier, type NotificationOutcome } from './notifier.ts';
import { scalarProviderOf } from '../../protocol/snmp/object-table.ts';
import { systemObjects } from '../../protocol/snmp/system-group.ts';
import { interfaceRow, interfacesProvider } from '../../protocol/snmp/interfaces-group.ts';
import type { MibView } from '../../protocol/snmp/mib-view.ts';
import type { DeviceFace, Personality } from './personality.ts';
import { safeflashPersonality } from './safeflash-personality.ts';

const systemProviders = Object.entries(systemObjects).map(([name, fact]) => scalarProviderOf(name, fact));

export interface DeviceAgentOptions {
  device: ManagedDevice;
  /** How the device answers: the reference IAD's SAFEFLASH-MIB when not given. */
  personality?: Personality;
  address: string;
  /** 0 picks a free port. */
  port: number;
  users: UsmUser[];
  communities: string[];
  /** How notifications are sent (a v3 user or a v2c community). */
  notifySecurity: SnmpSecurity;
  /** Share (0..1) of notifications dropped on purpose, read at each notification. */
  dropNotifications?: () => number;
  informTimeoutMs?: number;
  informRetries?: number;
  /** At most one progress notification per operation per this many ms (the notifier's default when absent). */
  progressIntervalMs?: number;
  onNotification?: (outcome: NotificationOutcome) => void;
  onRequestError?: (error: Error) => void;
}

export class DeviceAgent {
  private constructor(
    readonly agent: SnmpAgent,
    readonly notifier: Notifier,
    readonly face: DeviceFace,
  ) {}

  static async start(options: DeviceAgentOptions): Promise<DeviceAgent> {
    const { device } = options;
    const engineId = engineIdForAddress(options.address);
    const face = (options.personality ?? safeflashPersonality).face(device);
    const agent = await SnmpAgent.start({
      address: options.address,
      port: options.port,
      engineId,
      users: options.users,
      communities: options.communities,
      providers: [...systemProviders, interfacesProvider, ...face.providers],
      isAnswering: () => device.answering,
      refresh: systemRefresh(face, device),
      set: (varbinds) => face.set(varbinds),
      ...(options.onRequestError ? { onRequestError: options.onRequestError } : {}),
    });
    const notifier = new Notifier({
      device,
      face,
      sourceAddress: options.address,
      engineId,
      security: options.notifySecurity,
      ...(options.dropNotifications ? { dropShare: options.dropNotifications } : {}),
      ...(options.informTimeoutMs !== undefined ? { informTimeoutMs: options.informTimeoutMs } : {}),
      ...(options.informRetries !== undefined ? { informRetries: options.informRetries } : {}),
      ...(options.progressIntervalMs !== undefined ? { progressIntervalMs: options.progressIntervalMs } : {}),
    });
    if (options.onNotification) notifier.on('sent', options.onNotification);
    return new DeviceAgent(agent, notifier, face);
  }

  get endpoint(): Endpoint {
    return this.agent.endpoint;
  }

  get engineId(): Buffer {
    return this.agent.engineId;
  }

  async stop(): Promise<void> {
    this.face.close?.();
    await this.notifier.stop();
    await this.agent.close();
  }
}

/**
 * The refresh before each request: the system group and interfaces from the device's status, then the
 * face's own objects. The status is read again only when the device's revision moved since the last
 * request (sysUpTime, which moves with the clock, is set every time).
 */
function systemRefresh(face: DeviceFace, device: ManagedDevice): (view: MibView) => void {
  let seen: { revision: number; bootTime: number } | undefined;
  return (view) => {
    const revision = device.revision;
    if (revision === undefined || revision !== seen?.revision) {
      const status = device.status();
      view.setScalar('sysDescr', Buffer.from(face.sysDescr(status)));
      view.setScalar('sysObjectID', face.sysObjectID);
      view.setScalar('sysName', Buffer.from(status.serial));
      view.replaceRows(interfacesProvider.name, status.ports.map(interfaceRow));
      seen = revision === undefined ? undefined : { revision, bootTime: status.bootTime.getTime() };
      setUpTime(view, status.bootTime.getTime());
    } else {
      setUpTime(view, seen.bootTime);
    }
    face.refresh(view);
  };
}

function setUpTime(view: MibView, bootTime: number): void {
  view.setScalar('sysUpTime', Math.max(0, Math.floor((Date.now() - bootTime) / 10)));
}
