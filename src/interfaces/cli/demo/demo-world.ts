// What the demo runs on, all in this process and on loopback: a virtual fleet with a few injected
// faults, a manager on embedded defaults that trusts the fleet's vendor key, the devices in its
// inventory, and a newly signed image whose software wants the next configuration format.
import dgram from 'node:dgram';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { agentDefaults } from '../../../agent/defaults.ts';
import { parseFaultFlags, type FaultPlan } from '../../../agent/faults.ts';
import { Fleet } from '../../../agent/fleet.ts';
import { kindsOf } from '../agent-families.ts';
import { type FamilyShare, fleetFamilies } from '../family-options.ts';
import { ensureVendorSoftware, vendorKeyPrefix } from '../../../agent/vendor-key.ts';
import type { ServedManager } from '../../http/serve.ts';
import type { DeviceRecord, ImageRecord } from '../../../manager/store/records.ts';
import { packImage } from '../../../protocol/image.ts';
import { keyPairFiles, readPrivateKey } from '../../../protocol/keys.ts';
import type { UsmUser } from '../../../protocol/snmp/security.ts';

/** Faults the demo injects, by device number: each shows one way the method keeps a device safe. */
export const demoFaults: Record<number, { flags: string[]; shows: string }> = {
  2: { flags: ['fail-backup=1'], shows: 'a failed backup is retried; no upgrade before a verified backup' },
  3: { flags: ['fail-download=1'], shows: 'a failed download leaves the old software alone and is retried' },
  4: { flags: ['fail-boot=1'], shows: 'new software that does not boot: the device falls back, the run retries' },
  5: { flags: ['drop-notifications=1'], shows: 'every notification lost: polling the operation rows finishes the run' },
  6: { flags: ['reject-config-format=1'], shows: 'a restore refused once: the configuration is migrated again and restored' },
};

/** The fault of the first device of each family other than the reference IAD's. */
export const otherFamilyFault = { flags: ['fail-download=1'], shows: 'its download fails once: it keeps its software, and the run retries' };

/** The devices (1-based) that get otherFamilyFault: the first of each other family. */
export function firstOfOtherFamilies(members: readonly string[]): number[] {
  return [...new Set(members.filter((family) => family !== 'safeflash'))].map((family) => members.indexOf(family) + 1);
}

export interface DemoWorldOptions {
  /** The fleet, family by family in device order. */
  families: FamilyShare[];
  baseAddress: string;
  snmpPort: number;
  directory: string;
  rebootMs: number;
  newVersion: string;
  newConfigFormat: number;
  /** TCP port of the manager's embedded PostgreSQL; a free one when absent. */
  databasePort?: number;
}

export interface DemoWorld {
  fleet: Fleet;
  manager: ServedManager;
  devices: DeviceRecord[];
  /** The reference IAD's image first, then one per other model of the fleet. */
  images: ImageRecord[];
  logFile: string;
  stop(): Promise<void>;
}

/** A port free on 127.0.0.1 right now, so that a demo never collides with a manager already running. */
async function freePort(transport: 'tcp' | 'udp'): Promise<number> {
  if (transport === 'udp') {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((done) => socket.bind(0, '127.0.0.1', done));
    const { port } = socket.address();
    await new Promise<void>((done) => socket.close(done));
    return port;
  }
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  return typeof address === 'object' && address ? address.port : 0;
}

export async function startDemoWorld(options: DemoWorldOptions): Promise<DemoWorld> {
  const agentDir = join(options.directory, 'agent');
  const model = agentDefaults.model;
  const user: UsmUser = { name: agentDefaults.user, authKey: agentDefaults.authKey, privKey: agentDefaults.privKey };
  const software = ensureVendorSoftware(agentDir, model);
  const vendorKey = keyPairFiles(vendorKeyPrefix(agentDir));
  const logFile = join(options.directory, 'manager.log');

  // Loaded on use: the manager's modules are heavy and the other commands do not need them.
  const { serveManager } = await import('../../http/serve.ts');
  const manager = await serveManager({
    dataDir: join(options.directory, 'manager'),
    ...(options.databasePort ? { databasePort: options.databasePort } : {}),
    http: { address: '127.0.0.1', port: await freePort('tcp') },
    notifications: { address: '127.0.0.1', port: await freePort('udp'), users: [user] },
    tftp: { address: '127.0.0.1', port: await freePort('udp') },
    ftp: { address: '127.0.0.1', port: await freePort('tcp') },
    trustedKeyFiles: [vendorKey.publicKeyFile],
    timeouts: { pollSeconds: 2 },
    logger: pino({ name: 'safeflash' }, pino.destination({ dest: logFile, mkdir: true, sync: false })),
  });

  const devices = options.families.reduce((sum, share) => sum + share.devices, 0);
  const kindOf = kindsOf(options.families, model, (m) => ensureVendorSoftware(agentDir, m), {
    tftpPort: manager.files.endpoint('tftp').port,
    ftpPort: manager.files.endpoint('ftp').port,
  });
  const firstOthers = firstOfOtherFamilies(fleetFamilies(options.families));
  let fleet: Fleet | undefined;
  try {
    fleet = await Fleet.start({
      devices,
      kindOf,
      baseAddress: options.baseAddress,
      port: options.snmpPort,
      stateDir: agentDir,
      model,
      software,
      users: [user],
      communities: [],
      notifySecurity: { version: 'v3', user },
      notifyTarget: manager.notifyTarget,
      rebootMs: options.rebootMs,
      rebootRequired: true,
      faults: (n): FaultPlan =>
        parseFaultFlags((firstOthers.includes(n) ? otherFamilyFault : kindOf(n).personality.family === 'safeflash' ? demoFaults[n] : undefined)?.flags ?? []),
    });
    const added: DeviceRecord[] = [];
    for (const member of fleet.members) {
      added.push(
        await manager.inventory.add(
          {
            address: member.address,
            port: options.snmpPort,
            name: member.address,
            v3User: user.name,
            authKey: user.authKey,
            privKey: user.privKey,
            family: member.family,
          },
          'operator:demo',
        ),
      );
    }
    // Read once, as discovery would: a campaign over several models gives each device its model's image.
    for (const [i, device] of added.entries()) added[i] = await manager.inventory.refresh(device, 'operator:demo');
    const images: ImageRecord[] = [];
    const signingKey = readPrivateKey(vendorKey.privateKeyFile);
    const models = new Map(fleet.members.map((member) => [member.device.model, member.family]));
    for (const [imageModel, family] of models) {
      const description = { model: imageModel, version: options.newVersion, configFormat: options.newConfigFormat };
      const payload = Buffer.from(`Safeflash reference software for ${imageModel}, version ${options.newVersion}\n`.repeat(64), 'utf8');
      const software = packImage(description, payload, signingKey);
      // Another family's device gets its vendor's file, which the manager holds in a signed manifest.
      images.push(await manager.files.addImage(family === 'safeflash' ? software : packImage({ ...description, family }, software, signingKey)));
    }
    const running = fleet;
    return {
      fleet,
      manager,
      devices: added,
      images,
      logFile,
      stop: async () => {
        await manager.stop();
        await running.stop();
      },
    };
  } catch (error) {
    await manager.stop();
    await fleet?.stop();
    throw error;
  }
}
