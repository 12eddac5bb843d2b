// The phases of a run against real virtual devices over SNMP and TFTP on loopback: the device's own
// state, read directly, must match what the run reports.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFaultFlags } from '../src/agent/faults.ts';
import { DeviceDriver } from '../src/manager/device-driver.ts';
import { inspectImageHeader, packImage } from '../src/protocol/image.ts';
import { startDemoFleet, type DemoFleet } from '../src/interfaces/cli/demo/demo-fleet.ts';
import { runDevice } from '../src/interfaces/cli/demo/demo-run.ts';
import { writeFileSync } from 'node:fs';
import type { FleetMember } from '../src/agent/fleet.ts';

const user = { name: 'operator', authKey: 'operator-auth', privKey: 'operator-priv' };
const snmpPort = 20000 + Math.floor(Math.random() * 20000);
const baseAddress = `127.4.${1 + Math.floor(Math.random() * 250)}.1`;
let directory: string;
let demo: DemoFleet;

before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'sf-phases-'));
  demo = await startDemoFleet({
    devices: 3,
    baseAddress,
    snmpPort,
    directory,
    model: 'IAD-2400',
    user,
    rebootMs: 100,
    // Device 2 never manages a backup; device 3 loses every notification.
    faults: (n) => parseFaultFlags(n === 2 ? ['fail-backup=always'] : n === 3 ? ['drop-notifications=1'] : []),
  });
});

after(async () => {
  await demo.stop();
  await rm(directory, { recursive: true, force: true });
});

function image(model: string, version: string) {
  const file = `${model}-${version}.sfimg`;
  const bytes = packImage({ model, version, configFormat: 1 }, Buffer.from(`software ${version}`), demo.vendorKey);
  writeFileSync(join(demo.files.root, file), bytes);
  return { file, header: inspectImageHeader(bytes) };
}

function run(member: FleetMember, target: { file: string; header: ReturnType<typeof inspectImageHeader> }) {
  let index = 0;
  return runDevice({
    context: {
      driver: new DeviceDriver({ endpoint: { address: member.address, port: snmpPort }, security: demo.security, sourceAddress: '127.0.0.1' }),
      device: member.address,
      files: demo.files,
      notifications: demo.notifications,
      notifyTarget: demo.receiver.endpoint,
      nextIndex: () => ++index,
      timeouts: { transferMs: 10_000, bootMs: 10_000 },
      pollMs: 200,
    },
    imageFile: target.file,
    image: target.header,
    attempts: 2,
    backoffMs: 50,
    onEvent: () => {},
  });
}

test('a run backs up, upgrades, restores and verifies; the device agrees', async () => {
  const member = demo.fleet.members[0]!;
  const before = member.device.status();
  const result = await run(member, image('IAD-2400', '2.0.0'));
  assert.equal(result.outcome, 'verified', result.failure?.message);
  assert.deepEqual(result.phases, ['preflight', 'backup', 'upgrade', 'restore', 'verify']);
  const now = member.device.status();
  assert.equal(now.runningVersion, '2.0.0');
  assert.equal(now.previousVersion, before.runningVersion);
  assert.notEqual(now.activeBank, before.activeBank);
  assert.equal(now.configDigest.toString('hex'), before.configDigest.toString('hex'));
  assert.equal(result.backup?.configDigest, before.configDigest.toString('hex'));
});

test('no verified backup, no upgrade: the device keeps its software and the other bank is untouched', async () => {
  const member = demo.fleet.members[1]!;
  const before = member.device.status();
  const result = await run(member, image('IAD-2400', '2.0.1'));
  assert.equal(result.outcome, 'failed');
  assert.equal(result.failure?.phase, 'backup');
  assert.equal(result.failure?.reason, 'serverUnreachable');
  assert.equal(result.retries, 1);
  const now = member.device.status();
  assert.equal(now.runningVersion, before.runningVersion);
  assert.deepEqual(now.banks, before.banks);
  assert.equal(now.configDigest.toString('hex'), before.configDigest.toString('hex'));
});

test('with every notification lost, polling the operation rows still finishes the run', async () => {
  const member = demo.fleet.members[2]!;
  const result = await run(member, image('IAD-2400', '2.0.2'));
  assert.equal(result.outcome, 'verified', result.failure?.message);
  assert.equal(member.device.status().runningVersion, '2.0.2');
});

test('an image for another model stops the run in preflight with nothing changed', async () => {
  const member = demo.fleet.members[0]!;
  const before = member.device.status();
  const opsBefore = member.device.operations().length;
  const result = await run(member, image('VGW-800', '9.9.9'));
  assert.equal(result.failure?.phase, 'preflight');
  assert.equal(result.failure?.reason, 'wrongModel');
  assert.deepEqual(member.device.status().banks, before.banks);
  assert.equal(member.device.operations().length, opsBefore);
});
