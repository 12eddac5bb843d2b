// A child process running one virtual device that works without pause (slowed downloads, bank writes,
// reboots, restores) until it is killed: the parent SIGKILLs it at chosen instants to cut its power
// for real. Arguments: one JSON object (see ChildSetup). Prints "ready" once the device answers.
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { VirtualDevice } from '../../src/agent/device.ts';
import type { Operation, OperationRequest } from '../../src/protocol/safeflash-mib/operation-row.ts';
import type { OperationType } from '../../src/protocol/vocabulary.ts';

export interface ChildSetup {
  stateDir: string;
  address: string;
  publicKeyPem: string;
  factoryImagePath: string;
  tftpPort: number;
  /** Files in the TFTP root the device cycles through. */
  images: string[];
  configs: string[];
  /** The child ends by itself after this long, should nobody kill it. */
  lifetimeMs: number;
  /** DeviceOptions.flushWrites; default true. */
  flushWrites?: boolean;
}

const setup = JSON.parse(process.argv[2] ?? '{}') as ChildSetup;
setTimeout(() => process.exit(3), setup.lifetimeMs).unref();

const device = new VirtualDevice({
  address: setup.address,
  stateDir: setup.stateDir,
  model: 'IAD-2400',
  serial: 'SN-0001',
  trustedKeys: [createPublicKey(setup.publicKeyPem)],
  factoryImage: readFileSync(setup.factoryImagePath),
  rebootMs: 20,
  faults: { slowTransfers: { stepDelayMs: 8 } },
  ...(setup.flushWrites === false ? { flushWrites: false } : {}),
});
await device.start();
process.stdout.write('ready\n');

function request(type: OperationType, fileName = ''): OperationRequest {
  return { type, protocol: 'tftp', server: { address: '127.0.0.1', port: setup.tftpPort }, fileName, username: '', password: '', notifyTarget: undefined };
}

// Indexes are picked past whatever rows a previous life left in the table.
let index = Math.max(0, ...device.operations().map((operation) => operation.index));
for (let round = 0; ; round++) {
  const steps: OperationRequest[] = [
    request('downloadSoftware', setup.images[round % setup.images.length]),
    request('reboot'),
    request('restoreConfig', setup.configs[round % setup.configs.length]),
    request('revertSoftware'),
  ];
  for (const step of steps) {
    const done = once(device, 'operationCompleted') as Promise<[Operation]>;
    device.createOperation(++index, step);
    await done;
  }
}
