// What a device finds on disk when it powers on, and how it recovers: damaged banks, leftovers of
// interrupted writes, a boot counter run out, a configuration damaged from outside.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { beginBoot, NoBootableImage, resolveBoot } from '../../src/agent/boot.ts';
import { factoryState, parseState, renderState } from '../../src/agent/device-state.ts';
import { VirtualDevice } from '../../src/agent/device.ts';
import type { BankStatus } from '../../src/protocol/safeflash-mib/device-scalars.ts';
import { DeviceBench, makeImage, runOperation } from '../helpers/device-fixtures.ts';

let bench: DeviceBench;
before(async () => {
  bench = await DeviceBench.open();
  await bench.serve('v2.img', makeImage(bench.keys, { version: '2.0.0' }));
});
after(async () => {
  await bench.close();
});

async function upgradedDevice(name: string): Promise<{ stateDir: string; digest: Buffer }> {
  const stateDir = bench.stateDir(name);
  const device = new VirtualDevice(bench.deviceOptions({ stateDir }));
  await device.start();
  assert.equal((await runOperation(device, 1, bench.request('downloadSoftware', 'v2.img'))).state, 'successful');
  assert.equal((await runOperation(device, 2, bench.request('reboot'))).state, 'successful');
  const digest = device.status().configDigest;
  await device.stop();
  return { stateDir, digest };
}

async function powerOn(stateDir: string): Promise<VirtualDevice> {
  const device = new VirtualDevice(bench.deviceOptions({ stateDir }));
  await device.start();
  return device;
}

test('a bank whose image no longer verifies is marked invalid and the other bank boots (fallback)', async () => {
  const { stateDir, digest } = await upgradedDevice('damaged-bank');
  const path = join(stateDir, 'banks', 'B.img');
  const image = await readFile(path);
  image.writeUInt8(image.readUInt8(200) ^ 0xff, 200);
  await writeFile(path, image);
  const device = await powerOn(stateDir);
  const status = device.status();
  assert.equal(status.runningVersion, '1.0.0');
  assert.equal(status.lastBootCause, 'fallback');
  assert.equal(status.banks[1]?.state, 'invalid');
  assert.deepEqual(status.configDigest, digest);
  await device.stop();
});

test('leftover temporary files of interrupted writes are removed; the files they were replacing stay whole', async () => {
  const { stateDir, digest } = await upgradedDevice('leftovers');
  await writeFile(join(stateDir, 'banks', 'A.img.tmp-0123456789ab'), 'half an image');
  await writeFile(join(stateDir, 'config', 'running.cfg.tmp-0123456789ab'), 'half a config');
  await writeFile(join(stateDir, 'state.json.tmp-0123456789ab'), '{');
  const device = await powerOn(stateDir);
  assert.equal(device.status().runningVersion, '2.0.0');
  assert.deepEqual(device.status().configDigest, digest);
  await device.stop();
  for (const dir of [stateDir, join(stateDir, 'banks'), join(stateDir, 'config')]) {
    assert.deepEqual(
      (await readdir(dir)).filter((name) => name.includes('.tmp-')),
      [],
    );
  }
});

test('a configuration damaged from outside is set aside and the unit comes up with its factory configuration', async () => {
  const { stateDir } = await upgradedDevice('damaged-config');
  await writeFile(join(stateDir, 'config', 'running.cfg'), 'not a configuration');
  const device = await powerOn(stateDir);
  assert.equal(device.status().configFormat, 1);
  await device.stop();
  assert.ok((await readdir(join(stateDir, 'config'))).some((name) => name.startsWith('running.cfg.unreadable-')));
});

test('boots cut short too often count as a failed boot of that bank', async () => {
  const { stateDir } = await upgradedDevice('boot-counter');
  const statePath = join(stateDir, 'state.json');
  const state = parseState(await readFile(statePath, 'utf8'));
  assert.equal(state.activeBank, 'bankB');
  await writeFile(statePath, renderState({ ...state, bootAttempts: 3 }));
  const device = await powerOn(stateDir);
  const status = device.status();
  assert.equal(status.runningVersion, '1.0.0');
  assert.equal(status.lastBootCause, 'fallback');
  assert.equal(status.banks[1]?.state, 'invalid');
  await device.stop();
});

const valid = (bank: 'bankA' | 'bankB', version: string): BankStatus => ({ bank, state: 'valid', version, configFormat: 1, imageDigest: Buffer.alloc(32) });

test('resolveBoot: the marked bank when it starts, else the other one, else no boot at all', () => {
  const banks = { bankA: valid('bankA', '1'), bankB: valid('bankB', '2') };
  const state = beginBoot({
    ...factoryState(),
    nextBootBank: 'bankB',
    banks: { bankA: { state: 'valid', fresh: false }, bankB: { state: 'valid', fresh: true } },
  });
  const ok = resolveBoot({ state, banks, cause: 'commanded', start: () => undefined, maxBootAttempts: 3 });
  assert.equal(ok.booted, 'bankB');
  assert.equal(ok.markedBooted, true);
  assert.equal(ok.state.bootAttempts, 0);
  assert.equal(ok.state.banks.bankB.fresh, false);
  const fell = resolveBoot({ state, banks, cause: 'commanded', start: (bank) => (bank === 'bankB' ? 'crashed' : undefined), maxBootAttempts: 3 });
  assert.equal(fell.booted, 'bankA');
  assert.equal(fell.state.lastBootCause, 'fallback');
  assert.equal(fell.state.banks.bankB.state, 'invalid');
  assert.equal(fell.state.nextBootBank, 'bankA');
  assert.throws(() => resolveBoot({ state, banks, cause: 'commanded', start: () => 'crashed', maxBootAttempts: 3 }), NoBootableImage);
});
