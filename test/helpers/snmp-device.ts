// One virtual device with its SAFEFLASH-MIB agent in this process, on a loopback address of its own
// (127.2.x.y) and a port the system picks, for tests that talk SNMP without external tools.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualDevice } from '../../src/agent/device.ts';
import type { FaultPlan } from '../../src/agent/faults.ts';
import { serialFor } from '../../src/agent/fleet.ts';
import { DeviceAgent } from '../../src/agent/snmp/device-agent.ts';
import type { NotificationOutcome } from '../../src/agent/snmp/notifier.ts';
import type { Endpoint } from '../../src/protocol/endpoint.ts';
import { ensureVendorSoftware } from '../../src/agent/vendor-key.ts';
import type { SnmpSecurity, UsmUser } from '../../src/protocol/snmp/security.ts';

export const testUser: UsmUser = { name: 'tester', authKey: 'auth-key-123', privKey: 'priv-key-456' };
export const testCommunity = 'testing';
export const v3: SnmpSecurity = { version: 'v3', user: testUser };
export const v2c: SnmpSecurity = { version: 'v2c', community: testCommunity };

export function randomDeviceAddress(): string {
  const n = 1 + Math.floor(Math.random() * 65000);
  return `127.2.${n >> 8}.${n & 0xff || 1}`;
}

export interface SnmpDeviceOptions {
  notifySecurity?: SnmpSecurity;
  faults?: FaultPlan;
  rebootMs?: number;
  informTimeoutMs?: number;
  informRetries?: number;
}

export interface SnmpDevice {
  device: VirtualDevice;
  agent: DeviceAgent;
  endpoint: Endpoint;
  outcomes: NotificationOutcome[];
  close(): Promise<void>;
}

export async function startSnmpDevice(options: SnmpDeviceOptions = {}): Promise<SnmpDevice> {
  const dir = await mkdtemp(join(tmpdir(), 'sf-snmp-'));
  const address = randomDeviceAddress();
  const model = 'IAD-2400';
  const software = ensureVendorSoftware(dir, model);
  const device = new VirtualDevice({
    address,
    stateDir: join(dir, address),
    model,
    serial: serialFor(address),
    trustedKeys: [software.trustedKey],
    factoryImage: software.factoryImage,
    rebootMs: options.rebootMs ?? 200,
    faults: options.faults ?? {},
  });
  const outcomes: NotificationOutcome[] = [];
  const agent = await DeviceAgent.start({
    device,
    address,
    port: 0,
    users: [testUser],
    communities: [testCommunity],
    notifySecurity: options.notifySecurity ?? v3,
    dropNotifications: () => device.faults.dropNotifications ?? 0,
    informTimeoutMs: options.informTimeoutMs ?? 500,
    informRetries: options.informRetries ?? 1,
    onNotification: (o) => outcomes.push(o),
  });
  await device.start();
  const started: SnmpDevice = {
    device,
    agent,
    endpoint: agent.endpoint,
    outcomes,
    // The agent in place now: a test may have restarted it.
    close: async () => {
      await started.agent.stop();
      await device.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return started;
}

/** Polls `probe` until it returns a value that is not undefined, at most `attempts` times. */
export async function pollFor<T>(probe: () => Promise<T | undefined>, attempts = 100, intervalMs = 50): Promise<T> {
  for (let i = 0; i < attempts; i += 1) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`condition not met after ${attempts} attempts`);
}
