// SAFEFLASH-MIB for one virtual device: its SNMP agent on the device's own address and engine ID,
// serving the device's state and turning SETs into operations, plus the notifier for its events.
import { SnmpAgent } from '../../protocol/snmp/agent.ts';
import { engineIdForAddress } from '../../protocol/snmp/engine-id.ts';
import type { SnmpSecurity, UsmUser } from '../../protocol/snmp/security.ts';
import type { Endpoint } from '../../protocol/endpoint.ts';
import type { ManagedDevice } from './managed-device.ts';
import { Notifier, type NotificationOutcome } from './notifier.ts';
import { sfProviders } from '../../protocol/safeflash-mib/providers.ts';
import { refreshView } from './refresh.ts';
import { applySet } from './set-request.ts';

export interface DeviceAgentOptions {
  device: ManagedDevice;
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
  onNotification?: (outcome: NotificationOutcome) => void;
  onRequestError?: (error: Error) => void;
}

export class DeviceAgent {
  private constructor(
    readonly agent: SnmpAgent,
    readonly notifier: Notifier,
  ) {}

  static async start(options: DeviceAgentOptions): Promise<DeviceAgent> {
    const { device } = options;
    const engineId = engineIdForAddress(options.address);
    const agent = await SnmpAgent.start({
      address: options.address,
      port: options.port,
      engineId,
      users: options.users,
      communities: options.communities,
      providers: sfProviders,
      isAnswering: () => device.answering,
      refresh: (view) => refreshView(view, device),
      set: (varbinds) => applySet(device, varbinds),
      ...(options.onRequestError ? { onRequestError: options.onRequestError } : {}),
    });
    const notifier = new Notifier({
      device,
      sourceAddress: options.address,
      engineId,
      security: options.notifySecurity,
      ...(options.dropNotifications ? { dropShare: options.dropNotifications } : {}),
      ...(options.informTimeoutMs !== undefined ? { informTimeoutMs: options.informTimeoutMs } : {}),
      ...(options.informRetries !== undefined ? { informRetries: options.informRetries } : {}),
    });
    if (options.onNotification) notifier.on('sent', options.onNotification);
    return new DeviceAgent(agent, notifier);
  }

  get endpoint(): Endpoint {
    return this.agent.endpoint;
  }

  get engineId(): Buffer {
    return this.agent.engineId;
  }

  async stop(): Promise<void> {
    await this.notifier.stop();
    await this.agent.close();
  }
}
