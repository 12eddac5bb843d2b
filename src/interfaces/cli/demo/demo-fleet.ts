// What the demo runs on: a virtual fleet with a few injected faults, a TFTP file service and a
// notification receiver, all on loopback addresses and all stopped together.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Fleet } from '../../../agent/fleet.ts';
import { parseFaultFlags, type FaultPlan } from '../../../agent/faults.ts';
import { ensureVendorSoftware, vendorKeyPrefix } from '../../../agent/vendor-key.ts';
import { keyPairFiles, readPrivateKey } from '../../../protocol/keys.ts';
import { NotificationReceiver } from '../../../protocol/snmp/receiver.ts';
import type { SnmpSecurity, UsmUser } from '../../../protocol/snmp/security.ts';
import { TftpServer } from '../../../protocol/tftp/server.ts';
import { EventEmitter } from 'node:events';
import { readNotification } from '../../../manager/notifications.ts';
import type { NotificationFeed } from '../../../manager/operation-watch.ts';
import type { FileService } from '../../../manager/phases.ts';
import type { KeyObject } from 'node:crypto';

/** Faults the demo injects, by device number: each shows one way the method keeps a device safe. */
export const demoFaults: Record<number, { flags: string[]; shows: string }> = {
  2: { flags: ['fail-backup=1'], shows: 'a failed backup is retried' },
  3: { flags: ['drop-notifications=1'], shows: 'lost notifications: polling finishes the run' },
  4: { flags: ['corrupt-download=1'], shows: 'a corrupt download is refused before the bank is touched' },
  5: { flags: ['fail-boot=1'], shows: 'new software that does not boot: the device falls back, the upgrade is retried' },
};

export interface DemoFleetOptions {
  devices: number;
  baseAddress: string;
  snmpPort: number;
  directory: string;
  model: string;
  user: UsmUser;
  rebootMs: number;
  /** The fault plan of device number n (1-based); the demo's own faults when absent. */
  faults?: (device: number) => FaultPlan;
}

export interface DemoFleet {
  fleet: Fleet;
  files: FileService;
  notifications: NotificationFeed;
  receiver: NotificationReceiver;
  security: SnmpSecurity;
  vendorKey: KeyObject;
  stop(): Promise<void>;
}

export async function startDemoFleet(options: DemoFleetOptions): Promise<DemoFleet> {
  const agentDir = join(options.directory, 'agent');
  const root = join(options.directory, 'files');
  mkdirSync(root, { recursive: true });
  const software = ensureVendorSoftware(agentDir, options.model);
  const vendorKey = readPrivateKey(keyPairFiles(vendorKeyPrefix(agentDir)).privateKeyFile);
  const security: SnmpSecurity = { version: 'v3', user: options.user };

  const tftp = new TftpServer({ root, address: '127.0.0.1', port: 0 });
  await tftp.start();
  const receiver = await NotificationReceiver.start({ address: '127.0.0.1', port: 0, users: [options.user] });
  const notifications: NotificationFeed = new EventEmitter();
  receiver.on('notification', (received) => {
    const notification = readNotification(received);
    if (notification) notifications.emit('notification', notification);
  });

  let fleet: Fleet;
  try {
    fleet = await Fleet.start({
      devices: options.devices,
      baseAddress: options.baseAddress,
      port: options.snmpPort,
      stateDir: agentDir,
      model: options.model,
      software,
      users: [options.user],
      communities: [],
      notifySecurity: security,
      notifyTarget: receiver.endpoint,
      rebootMs: options.rebootMs,
      rebootRequired: true,
      faults: options.faults ?? ((n): FaultPlan => parseFaultFlags(demoFaults[n]?.flags ?? [])),
    });
  } catch (error) {
    await Promise.allSettled([tftp.close(), receiver.close()]);
    throw error;
  }

  return {
    fleet,
    files: { endpoint: { address: tftp.address, port: tftp.port }, root, issueWriteName: (hint) => tftp.issueWriteName(hint) },
    notifications,
    receiver,
    security,
    vendorKey,
    stop: async () => {
      await fleet.stop();
      await Promise.allSettled([tftp.close(), receiver.close()]);
    },
  };
}
