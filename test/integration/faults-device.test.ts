// Every injected fault leaves a consistent device: it boots a valid image (checked by starting it afresh
// from disk), its configuration is intact unless a restore succeeded, and the row says what failed.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { factoryConfig, renderConfig } from '../../src/protocol/config.ts';
import type { FaultPlan } from '../../src/agent/faults.ts';
import type { VirtualDevice } from '../../src/agent/device.ts';
import type { DeviceStatus } from '../../src/protocol/safeflash-mib/device-scalars.ts';
import type { Operation } from '../../src/protocol/safeflash-mib/operation-row.ts';
import { answeringAgain, assertConsistentOnDisk, DeviceBench, makeImage, runOperation, testModel } from '../helpers/device-fixtures.ts';

let bench: DeviceBench;
before(async () => {
  bench = await DeviceBench.open();
  await bench.serve('v2.img', makeImage(bench.keys, { version: '2.0.0', payloadBytes: 64 * 1024 }));
  await bench.serve('restore.cfg', renderConfig(factoryConfig({ model: testModel, serial: 'SN-0001', format: 1, seed: 9 })));
});
after(async () => {
  await bench.close();
});

let count = 0;
async function deviceWith(faults: FaultPlan): Promise<{ device: VirtualDevice; stateDir: string; digest: Buffer }> {
  const stateDir = bench.stateDir(`faulty-${++count}`);
  const device = await bench.startDevice({ stateDir, faults });
  return { device, stateDir, digest: device.status().configDigest };
}

/** Starts an operation that the plan will cut short by a power cut, and waits for the device to be back. */
async function throughPowerCut(device: VirtualDevice, index: number, request: Parameters<VirtualDevice['createOperation']>[1]): Promise<DeviceStatus> {
  const boot = once(device, 'bootCompleted', { signal: AbortSignal.timeout(20_000) }) as Promise<[DeviceStatus]>;
  device.createOperation(index, request);
  const [status] = await boot;
  await answeringAgain(device);
  return status;
}

test('failBackups: the next backups fail with the given cause, then backups work again', async () => {
  const { device, stateDir, digest } = await deviceWith({ failBackups: { count: 1, cause: 'transferTimeout' } });
  const failed = await runOperation(device, 1, bench.request('backupConfig', bench.tftp.issueWriteName()));
  assert.equal(failed.state, 'failed');
  assert.equal(failed.failCause, 'transferTimeout');
  assert.match(failed.failMessage, /injected/);
  assert.equal(device.faults.failBackups?.count, 0);
  const ok = await runOperation(device, 2, bench.request('backupConfig', bench.tftp.issueWriteName()));
  assert.equal(ok.state, 'successful', ok.failMessage);
  await device.stop();
  await assertConsistentOnDisk(bench, stateDir, { configDigest: digest, runningVersion: '1.0.0' });
});

test('failDownloads: the inactive bank stays untouched', async () => {
  const { device, stateDir, digest } = await deviceWith({ failDownloads: { count: 2, cause: 'serverUnreachable' } });
  for (const index of [1, 2]) {
    const failed = await runOperation(device, index, bench.request('downloadSoftware', 'v2.img'));
    assert.equal(failed.failCause, 'serverUnreachable');
  }
  assert.equal(device.status().banks[1]?.state, 'empty');
  assert.equal((await runOperation(device, 3, bench.request('downloadSoftware', 'v2.img'))).state, 'successful');
  await device.stop();
  // bank B was marked for the next boot by the third download: the restart boots it.
  await assertConsistentOnDisk(bench, stateDir, { configDigest: digest, runningVersion: '2.0.0' });
});

test('failRestores: the running configuration is unchanged', async () => {
  const { device, stateDir, digest } = await deviceWith({ failRestores: { count: 1, cause: 'fileNotFound' } });
  const failed = await runOperation(device, 1, bench.request('restoreConfig', 'restore.cfg'));
  assert.equal(failed.failCause, 'fileNotFound');
  assert.deepEqual(device.status().configDigest, digest);
  await device.stop();
  await assertConsistentOnDisk(bench, stateDir, { configDigest: digest });
});

test('corruptDownloads: the flipped image is refused before the bank is touched', async () => {
  const { device, stateDir, digest } = await deviceWith({ corruptDownloads: 1 });
  const failed = await runOperation(device, 1, bench.request('downloadSoftware', 'v2.img'));
  assert.equal(failed.failCause, 'imageCorrupt', failed.failMessage);
  const status = device.status();
  assert.equal(status.banks[1]?.state, 'empty');
  assert.equal(status.nextBootBank, 'bankA');
  await device.stop();
  await assertConsistentOnDisk(bench, stateDir, { configDigest: digest, runningVersion: '1.0.0' });
});

test('failBoots: the new image does not start, the device falls back and the reboot row says bootFailed', async () => {
  const { device, stateDir, digest } = await deviceWith({ failBoots: 1 });
  assert.equal((await runOperation(device, 1, bench.request('downloadSoftware', 'v2.img'))).state, 'successful');
  const boots: DeviceStatus[] = [];
  device.on('bootCompleted', (status) => boots.push(status));
  const rebooted = await runOperation(device, 2, bench.request('reboot'));
  assert.equal(rebooted.state, 'failed');
  assert.equal(rebooted.failCause, 'bootFailed');
  assert.match(rebooted.failMessage, /bankB/);
  const status = device.status();
  assert.equal(status.runningVersion, '1.0.0');
  assert.equal(status.lastBootCause, 'fallback');
  assert.equal(status.banks[1]?.state, 'invalid');
  assert.equal(status.previousVersion, '', 'an invalid bank is no previous version');
  assert.equal(boots[0]?.lastBootCause, 'fallback');
  const reverted = await runOperation(device, 3, bench.request('revertSoftware'));
  assert.equal(reverted.failCause, 'noPreviousImage');
  await device.stop();
  await assertConsistentOnDisk(bench, stateDir, { configDigest: digest, runningVersion: '1.0.0' });
});

test('an image marked not bootable also falls back', async () => {
  const { device } = await deviceWith({});
  await bench.serve('dud.img', makeImage(bench.keys, { version: '2.0.0-dud', bootable: false }));
  assert.equal((await runOperation(device, 1, bench.request('downloadSoftware', 'dud.img'))).state, 'successful');
  const rebooted = await runOperation(device, 2, bench.request('reboot'));
  assert.equal(rebooted.failCause, 'bootFailed');
  assert.equal(device.status().runningVersion, '1.0.0');
});

test('failBoots with rebootRequired false: the in-place switch fails and the old software keeps running', async () => {
  const stateDir = bench.stateDir(`faulty-${++count}`);
  const device = await bench.startDevice({ stateDir, faults: { failBoots: 1 }, rebootRequired: false });
  const digest = device.status().configDigest;
  const done = await runOperation(device, 1, bench.request('downloadSoftware', 'v2.img'));
  assert.equal(done.failCause, 'bootFailed', done.failMessage);
  assert.equal(device.status().runningVersion, '1.0.0');
  await device.stop();
  await assertConsistentOnDisk(bench, stateDir, { configDigest: digest, runningVersion: '1.0.0' });
});

test('rejectConfigFormat: a restore in the right format is refused as configFormatMismatch', async () => {
  const { device, stateDir, digest } = await deviceWith({ rejectConfigFormat: 1 });
  const failed = await runOperation(device, 1, bench.request('restoreConfig', 'restore.cfg'));
  assert.equal(failed.failCause, 'configFormatMismatch');
  assert.deepEqual(device.status().configDigest, digest);
  const ok = await runOperation(device, 2, bench.request('restoreConfig', 'restore.cfg'));
  assert.equal(ok.state, 'successful', ok.failMessage);
  const restored = device.status().configDigest;
  assert.notDeepEqual(restored, digest);
  await device.stop();
  await assertConsistentOnDisk(bench, stateDir, { configDigest: restored });
});

test('dropNotifications is in the plan the SNMP layer reads; setFaults replaces the plan', async () => {
  const { device } = await deviceWith({ dropNotifications: 0.3 });
  assert.equal(device.faults.dropNotifications, 0.3);
  device.setFaults({});
  assert.equal(device.faults.dropNotifications, undefined);
});

test('slowTransfers: a slow download reports its progress step by step and still succeeds', async () => {
  const { device } = await deviceWith({ slowTransfers: { stepDelayMs: 10 } });
  const progress: number[] = [];
  device.on('operationProgress', (operation) => progress.push(operation.progress));
  const done = await runOperation(device, 1, bench.request('downloadSoftware', 'v2.img'));
  assert.equal(done.state, 'successful', done.failMessage);
  assert.ok(progress.length >= 12, `progress steps: ${progress.join(',')}`);
  assert.deepEqual(
    progress,
    [...progress].sort((a, b) => a - b),
  );
  const backup = await runOperation(device, 2, bench.request('backupConfig', bench.tftp.issueWriteName()));
  assert.equal(backup.state, 'successful', backup.failMessage);
});

for (const percent of [30, 78, 85, 92]) {
  test(`powerLoss during downloadSoftware at ${percent}%: the device comes back from disk on a valid image`, async () => {
    const { device, stateDir, digest } = await deviceWith({
      powerLoss: { operation: 'downloadSoftware', percent, powerOffMs: 20, count: 1 },
      slowTransfers: { stepDelayMs: 5 },
    });
    const progress: Operation[] = [];
    device.on('operationProgress', (operation) => progress.push(operation));
    const booted = await throughPowerCut(device, 1, bench.request('downloadSoftware', 'v2.img'));
    assert.equal(booted.lastBootCause, 'powerOn');
    assert.ok(
      progress.every((operation) => operation.progress < percent),
      'nothing is reported past the cut',
    );
    const row = device.operation(1);
    assert.equal(row?.state, 'failed');
    assert.equal(row?.failCause, 'powerLoss');
    const status = device.status();
    assert.deepEqual(status.configDigest, digest);
    const active = status.banks.find((bank) => bank.bank === status.activeBank);
    assert.equal(active?.state, 'valid');
    // Until the new bank is whole and marked, the old software runs; once marked, the power-on boots it.
    assert.equal(status.runningVersion, percent > 90 ? '2.0.0' : '1.0.0');
    if (percent <= 90) assert.notEqual(status.banks[1]?.state, 'valid');
    await device.stop();
    await assertConsistentOnDisk(bench, stateDir, { configDigest: digest, runningVersion: status.runningVersion });
  });
}

test('powerLoss during restoreConfig: the configuration is the old one, whole', async () => {
  const { device, stateDir, digest } = await deviceWith({ powerLoss: { operation: 'restoreConfig', percent: 75, powerOffMs: 20, count: 1 } });
  await throughPowerCut(device, 1, bench.request('restoreConfig', 'restore.cfg'));
  assert.equal(device.operation(1)?.failCause, 'powerLoss');
  assert.deepEqual(device.status().configDigest, digest);
  await device.stop();
  await assertConsistentOnDisk(bench, stateDir, { configDigest: digest });
});

test('powerLoss during a reboot: the device powers on into the marked bank', async () => {
  const { device, stateDir, digest } = await deviceWith({ powerLoss: { operation: 'reboot', percent: 10, powerOffMs: 20, count: 1 } });
  assert.equal((await runOperation(device, 1, bench.request('downloadSoftware', 'v2.img'))).state, 'successful');
  const booted = await throughPowerCut(device, 2, bench.request('reboot'));
  assert.equal(booted.runningVersion, '2.0.0');
  assert.equal(booted.lastBootCause, 'powerOn');
  assert.equal(device.operation(1)?.state, 'successful', 'finished rows survive the power cut');
  assert.equal(device.operation(2)?.failCause, 'powerLoss');
  await device.stop();
  await assertConsistentOnDisk(bench, stateDir, { configDigest: digest, runningVersion: '2.0.0' });
});

test('a device that is off refuses operations as notAnswering', async () => {
  const { device } = await deviceWith({ powerLoss: { operation: 'backupConfig', percent: 0, powerOffMs: 300, count: 1 } });
  const back = once(device, 'bootCompleted', { signal: AbortSignal.timeout(20_000) });
  device.createOperation(1, bench.request('backupConfig', bench.tftp.issueWriteName()));
  await delay(50);
  assert.equal(device.answering, false);
  assert.throws(() => device.createOperation(2, bench.request('reboot')), /not answering/);
  assert.deepEqual(device.operations(), []);
  await back;
  assert.equal(device.operation(1)?.failCause, 'powerLoss');
});
