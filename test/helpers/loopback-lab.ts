// A fleet of virtual devices and a manager serving its API, all on loopback and in this process: what the
// API, inventory, metrics and campaign tests start. Each takes only what a test changes.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import type { FaultPlan } from '../../src/agent/faults.ts';
import { Fleet, type MemberKind } from '../../src/agent/fleet.ts';
import { ensureVendorSoftware, type FactorySoftware, vendorKeyPrefix } from '../../src/agent/vendor-key.ts';
import { type ServedManager, type ServeOptions, serveManager } from '../../src/interfaces/http/serve.ts';
import type { KeyObject } from 'node:crypto';
import { packImage } from '../../src/protocol/image.ts';
import { keyPairFiles } from '../../src/protocol/keys.ts';
import { testUser } from './snmp-device.ts';

/** The model of every lab device; images for it are signed with the vendor key under `<dir>/vendor`. */
export const labModel = 'IAD-2400';

export interface LabFleetOptions {
  devices: number;
  /** The first device's address; the others follow it. */
  baseAddress: string;
  port: number;
  faults?: (device: number) => FaultPlan;
  /** How long a reboot takes (default 100 ms). */
  rebootMs?: number;
  /** What device n is, when the fleet mixes families. */
  kindOf?: (device: number) => MemberKind;
}

/** What a family's virtual devices need from a lab: the software of their model, the manager's TFTP port. */
export interface FamilyLab {
  /** The manager's TFTP and FTP ports, for devices that cannot be told one (modems and IOS ask the protocols' own). */
  tftpPort(): number;
  ftpPort(): number;
  softwareFor(model: string): FactorySoftware;
}

/**
 * A signed image of `version` for a model: the reference IAD's own software, or for another family
 * a manifest around the vendor's file, which the lab's virtual devices check as their firmware.
 */
export function labImage(vendorKey: KeyObject, spec: { model: string; version: string; configFormat?: number; family?: string }): Buffer {
  const description = { model: spec.model, version: spec.version, configFormat: spec.configFormat ?? 1 };
  const software = packImage(description, Buffer.from(`software ${spec.version} for ${spec.model}\n`), vendorKey);
  return spec.family && spec.family !== 'safeflash' ? packImage({ ...description, family: spec.family }, software, vendorKey) : software;
}

/** Devices that trust the vendor key under `<dir>/vendor`, keep their state under `<dir>/fleet`, and notify as the test user. */
export function startLoopbackFleet(dir: string, options: LabFleetOptions): Promise<Fleet> {
  return Fleet.start({
    devices: options.devices,
    baseAddress: options.baseAddress,
    port: options.port,
    stateDir: join(dir, 'fleet'),
    model: labModel,
    software: ensureVendorSoftware(join(dir, 'vendor'), labModel),
    users: [testUser],
    communities: [],
    notifySecurity: { version: 'v3', user: testUser },
    rebootMs: options.rebootMs ?? 100,
    rebootRequired: true,
    faults: options.faults ?? (() => ({})),
    ...(options.kindOf ? { kindOf: options.kindOf } : {}),
  });
}

/** A manager under `<dir>/manager` with every listener on a free 127.0.0.1 port, trusting the lab's vendor key. */
export function startLoopbackManager(dir: string, options: ServeOptions = {}): Promise<ServedManager> {
  return serveManager({
    dataDir: join(dir, 'manager'),
    http: { address: '127.0.0.1', port: 0 },
    notifications: { address: '127.0.0.1', port: 0, users: [testUser] },
    tftp: { address: '127.0.0.1', port: 0 },
    ftp: { address: '127.0.0.1', port: 0 },
    trustedKeyFiles: [keyPairFiles(vendorKeyPrefix(join(dir, 'vendor'))).publicKeyFile],
    logger: pino({ level: 'silent' }),
    ...options,
  });
}

/** The operator token the manager wrote on its first start. */
export async function operatorToken(manager: ServedManager): Promise<string> {
  return (await readFile(manager.operatorTokenFile, 'utf8')).trim();
}
