// A bench for device tests: a signing key, small signed images, a real TFTP server on loopback serving
// a scratch directory, and virtual devices on their own loopback addresses and state directories.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { generateKeyPair, type SigningKeyPair } from '../../src/protocol/keys.ts';
import { packImage } from '../../src/protocol/image.ts';
import { TftpServer } from '../../src/protocol/tftp/server.ts';
import { VirtualDevice, type DeviceOptions } from '../../src/agent/device.ts';
import type { Operation, OperationRequest } from '../../src/protocol/safeflash-mib/operation-row.ts';
import type { OperationType } from '../../src/protocol/vocabulary.ts';

export const testModel = 'IAD-2400';

export interface ImageSpec {
  version: string;
  configFormat?: number;
  model?: string;
  bootable?: boolean;
  payloadBytes?: number;
  keys?: SigningKeyPair;
}

export function makeImage(keys: SigningKeyPair, spec: ImageSpec): Buffer {
  const payload = Buffer.alloc(spec.payloadBytes ?? 4096, `firmware ${spec.version} `);
  return packImage(
    {
      model: spec.model ?? testModel,
      version: spec.version,
      configFormat: spec.configFormat ?? 1,
      ...(spec.bootable === false && { bootable: false }),
    },
    payload,
    (spec.keys ?? keys).privateKey,
  );
}

/** A loopback address of its own for each device (127.1.x.y). */
export function deviceAddress(): string {
  const n = 1 + Math.floor(Math.random() * 65000);
  return `127.1.${n >> 8}.${n & 0xff || 1}`;
}

export class DeviceBench {
  readonly keys = generateKeyPair();
  readonly factoryImage: Buffer;
  readonly devices: VirtualDevice[] = [];
  private constructor(
    readonly dir: string,
    readonly root: string,
    readonly tftp: TftpServer,
  ) {
    this.factoryImage = makeImage(this.keys, { version: '1.0.0', configFormat: 1 });
  }

  static async open(): Promise<DeviceBench> {
    const dir = await mkdtemp(join(tmpdir(), 'safeflash-device-'));
    const root = join(dir, 'files');
    await mkdir(root);
    const tftp = new TftpServer({ root, address: '127.0.0.1', port: 0 });
    await tftp.start();
    return new DeviceBench(dir, root, tftp);
  }

  async close(): Promise<void> {
    for (const device of this.devices) await device.stop();
    await this.tftp.close();
    await rm(this.dir, { recursive: true, force: true });
  }

  stateDir(name = 'device'): string {
    return join(this.dir, name);
  }

  deviceOptions(overrides: Partial<DeviceOptions> = {}): DeviceOptions {
    return {
      address: deviceAddress(),
      stateDir: this.stateDir(),
      model: testModel,
      serial: 'SN-0001',
      trustedKeys: [this.keys.publicKey],
      factoryImage: this.factoryImage,
      rebootMs: 50,
      ...overrides,
    };
  }

  async startDevice(overrides: Partial<DeviceOptions> = {}): Promise<VirtualDevice> {
    const device = new VirtualDevice(this.deviceOptions(overrides));
    this.devices.push(device);
    await device.start();
    return device;
  }

  /** Puts a file in the TFTP root; returns its name. */
  async serve(name: string, data: Buffer | string): Promise<string> {
    await writeFile(join(this.root, name), data);
    return name;
  }

  async served(name: string): Promise<Buffer> {
    return readFile(join(this.root, name));
  }

  request(type: OperationType, fileName = '', extra: Partial<OperationRequest> = {}): OperationRequest {
    return {
      type,
      protocol: 'tftp',
      server: { address: '127.0.0.1', port: this.tftp.port },
      fileName,
      username: '',
      password: '',
      notifyTarget: undefined,
      ...extra,
    };
  }
}

/** Creates a row and waits for its final state (bounded). */
export async function runOperation(device: VirtualDevice, index: number, request: OperationRequest, timeoutMs = 20_000): Promise<Operation> {
  const done = completion(device, index, timeoutMs);
  device.createOperation(index, request);
  return done;
}

export async function completion(device: VirtualDevice, index: number, timeoutMs = 20_000): Promise<Operation> {
  const signal = AbortSignal.timeout(timeoutMs);
  for (;;) {
    const [operation] = (await once(device, 'operationCompleted', { signal })) as [Operation];
    if (operation.index === index) return operation;
  }
}

/** Waits until the device answers again after a power cut (bounded). */
export async function answeringAgain(device: VirtualDevice, timeoutMs = 20_000): Promise<void> {
  for (let waited = 0; !device.answering; waited += 10) {
    if (waited > timeoutMs) throw new Error('device did not come back');
    await delay(10);
  }
}

/**
 * The invariant every fault test ends with: a device started afresh from the same state directory
 * boots a valid image and holds the expected configuration.
 */
export async function assertConsistentOnDisk(bench: DeviceBench, stateDir: string, expected: { configDigest: Buffer; runningVersion?: string }): Promise<void> {
  const device = new VirtualDevice(bench.deviceOptions({ stateDir }));
  await device.start();
  try {
    const status = device.status();
    const active = status.banks.find((bank) => bank.bank === status.activeBank);
    assert.equal(active?.state, 'valid', 'the device boots a valid image');
    assert.notEqual(status.runningVersion, '');
    assert.equal(status.configDigest.toString('hex'), expected.configDigest.toString('hex'), 'running configuration intact');
    if (expected.runningVersion !== undefined) assert.equal(status.runningVersion, expected.runningVersion);
  } finally {
    await device.stop();
  }
}
