// The virtual device's core over real files and a real TFTP server on loopback: happy paths,
// idempotent and refused requests, persistence across restarts.
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { configDigest, factoryConfig, parseConfig, renderConfig } from '../../src/protocol/config.ts';
import { FtpFileServer } from '../../src/protocol/ftp/server.ts';
import { generateKeyPair } from '../../src/protocol/keys.ts';
import { VirtualDevice } from '../../src/agent/device.ts';
import type { OperationRejected } from '../../src/agent/types.ts';
import type { DeviceStatus } from '../../src/protocol/safeflash-mib/device-scalars.ts';
import type { Operation } from '../../src/protocol/safeflash-mib/operation-row.ts';
import { DeviceBench, makeImage, runOperation, testModel } from '../helpers/device-fixtures.ts';

let bench: DeviceBench;
before(async () => {
  bench = await DeviceBench.open();
});
after(async () => {
  await bench.close();
});

let deviceCount = 0;
function freshStateDir(): string {
  return bench.stateDir(`device-${++deviceCount}`);
}

async function restartFromDisk(stateDir: string): Promise<DeviceStatus> {
  const device = new VirtualDevice(bench.deviceOptions({ stateDir }));
  await device.start();
  const status = device.status();
  await device.stop();
  return status;
}

describe('first start', () => {
  test('writes the factory image to bank A and a factory configuration in its format, then boots', async () => {
    const stateDir = freshStateDir();
    const device = new VirtualDevice(bench.deviceOptions({ stateDir }));
    bench.devices.push(device);
    const booted: DeviceStatus[] = [];
    device.on('bootCompleted', (status) => booted.push(status));
    assert.equal(device.answering, false);
    await device.start();
    assert.equal(device.answering, true);
    const status = device.status();
    assert.equal(status.runningVersion, '1.0.0');
    assert.equal(status.previousVersion, '');
    assert.equal(status.activeBank, 'bankA');
    assert.equal(status.nextBootBank, 'bankA');
    assert.equal(status.lastBootCause, 'powerOn');
    assert.equal(status.configFormat, 1);
    assert.deepEqual(
      status.banks.map((bank) => bank.state),
      ['valid', 'empty'],
    );
    assert.equal(booted.length, 1);
    const onDisk = await readFile(join(stateDir, 'config', 'running.cfg'));
    assert.equal(configDigest(onDisk), status.configDigest.toString('hex'));
    await access(join(stateDir, 'banks', 'A.img'));
    await access(join(stateDir, 'state.json'));
  });

  test('initialConfigFormat chooses the factory configuration format', async () => {
    const device = await bench.startDevice({ stateDir: freshStateDir(), initialConfigFormat: 2 });
    assert.equal(device.status().configFormat, 2);
  });

  test('refuses to start with a factory image it does not trust', async () => {
    const stranger = generateKeyPair();
    const device = new VirtualDevice(bench.deviceOptions({ stateDir: freshStateDir(), factoryImage: makeImage(stranger, { version: '1.0.0' }) }));
    await assert.rejects(device.start(), /not a trusted key/);
    assert.equal(device.answering, false);
  });
});

describe('operations', () => {
  test('backupConfig uploads the running configuration, which parses and equals it', async () => {
    const device = await bench.startDevice({ stateDir: freshStateDir() });
    const name = bench.tftp.issueWriteName('sn-0001');
    const progress: Operation[] = [];
    device.on('operationProgress', (operation) => progress.push(operation));
    const done = await runOperation(device, 1, bench.request('backupConfig', name));
    assert.equal(done.state, 'successful', done.failMessage);
    assert.equal(done.progress, 100);
    assert.equal(done.failCause, 'none');
    assert.ok(done.finishedAt);
    const uploaded = await bench.served(name);
    const config = parseConfig(uploaded);
    assert.equal(config.serial, 'SN-0001');
    assert.equal(configDigest(uploaded), device.status().configDigest.toString('hex'));
    assert.ok(progress.length >= 1 && progress.every((operation) => operation.index === 1));
    assert.deepEqual(
      progress.map((p) => p.progress),
      [...progress.map((p) => p.progress)].sort((a, b) => a - b),
    );
  });

  test('downloadSoftware then reboot runs the new version; previousVersion is the old one; it lasts a restart', async () => {
    const stateDir = freshStateDir();
    const device = await bench.startDevice({ stateDir });
    const digestBefore = device.status().configDigest;
    await bench.serve('v2.img', makeImage(bench.keys, { version: '2.0.0', configFormat: 2 }));
    const downloaded = await runOperation(device, 1, bench.request('downloadSoftware', 'v2.img'));
    assert.equal(downloaded.state, 'successful', downloaded.failMessage);
    let status = device.status();
    assert.equal(status.runningVersion, '1.0.0', 'a download alone changes nothing running');
    assert.equal(status.nextBootBank, 'bankB');
    assert.equal(status.previousVersion, '2.0.0');

    const boots: DeviceStatus[] = [];
    device.on('bootCompleted', (s) => boots.push(s));
    const rebooting = runOperation(device, 2, bench.request('reboot'));
    assert.equal(device.operation(2)?.state === 'failed', false);
    const rebooted = await rebooting;
    assert.equal(rebooted.state, 'successful', rebooted.failMessage);
    status = device.status();
    assert.equal(status.runningVersion, '2.0.0');
    assert.equal(status.previousVersion, '1.0.0');
    assert.equal(status.activeBank, 'bankB');
    assert.equal(status.lastBootCause, 'commanded');
    assert.equal(status.configFormat, 1, 'the device never rewrites its configuration on its own');
    assert.deepEqual(status.configDigest, digestBefore);
    assert.equal(boots.length, 1);
    assert.equal(boots[0]?.runningVersion, '2.0.0');
    assert.equal(device.operations().length, 2, 'the table lives through a commanded reboot');

    await device.stop();
    const restarted = await restartFromDisk(stateDir);
    assert.equal(restarted.runningVersion, '2.0.0');
    assert.equal(restarted.lastBootCause, 'powerOn');
    assert.deepEqual(restarted.configDigest, digestBefore);
  });

  test('revertSoftware goes back to the previous bank', async () => {
    const device = await bench.startDevice({ stateDir: freshStateDir() });
    await bench.serve('v3.img', makeImage(bench.keys, { version: '3.0.0' }));
    assert.equal((await runOperation(device, 1, bench.request('downloadSoftware', 'v3.img'))).state, 'successful');
    assert.equal((await runOperation(device, 2, bench.request('reboot'))).state, 'successful');
    assert.equal(device.status().runningVersion, '3.0.0');
    const reverted = await runOperation(device, 3, bench.request('revertSoftware'));
    assert.equal(reverted.state, 'successful', reverted.failMessage);
    const status = device.status();
    assert.equal(status.runningVersion, '1.0.0');
    assert.equal(status.previousVersion, '3.0.0');
    assert.equal(status.lastBootCause, 'revert');
    assert.equal(status.activeBank, 'bankA');
  });

  test('revertSoftware without a previous image fails with noPreviousImage and changes nothing', async () => {
    const device = await bench.startDevice({ stateDir: freshStateDir() });
    const before = device.status();
    const reverted = await runOperation(device, 1, bench.request('revertSoftware'));
    assert.equal(reverted.state, 'failed');
    assert.equal(reverted.failCause, 'noPreviousImage');
    assert.deepEqual(device.status().banks, before.banks);
    assert.equal(device.status().runningVersion, '1.0.0');
  });

  test('restoreConfig of the right format replaces the configuration, and it lasts a restart', async () => {
    const stateDir = freshStateDir();
    const device = await bench.startDevice({ stateDir });
    const before = device.status().configDigest.toString('hex');
    const wanted = factoryConfig({ model: testModel, serial: 'SN-0001', format: 1, seed: 42 });
    await bench.serve('restore-1.cfg', renderConfig(wanted));
    const restored = await runOperation(device, 1, bench.request('restoreConfig', 'restore-1.cfg'));
    assert.equal(restored.state, 'successful', restored.failMessage);
    const after = device.status().configDigest.toString('hex');
    assert.notEqual(after, before);
    assert.equal(after, configDigest(wanted));
    await device.stop();
    assert.equal((await restartFromDisk(stateDir)).configDigest.toString('hex'), configDigest(wanted));
  });

  test('restoreConfig refuses a configuration of another format, an invalid one, and one for another model', async () => {
    const device = await bench.startDevice({ stateDir: freshStateDir() });
    const before = device.status().configDigest;
    await bench.serve('format2.cfg', renderConfig(factoryConfig({ model: testModel, serial: 'SN-0001', format: 2 })));
    await bench.serve('garbage.cfg', '#!safeflash-config format=1 model=IAD-2400 serial=SN-0001\n[nonsense\n');
    await bench.serve('other-model.cfg', renderConfig(factoryConfig({ model: 'IAD-800', serial: 'SN-0001', format: 1 })));
    const cases = [
      ['format2.cfg', 'configFormatMismatch'],
      ['garbage.cfg', 'configInvalid'],
      ['other-model.cfg', 'configInvalid'],
      ['missing.cfg', 'fileNotFound'],
    ] as const;
    let index = 1;
    for (const [file, cause] of cases) {
      const done = await runOperation(device, index++, bench.request('restoreConfig', file));
      assert.equal(done.state, 'failed', file);
      assert.equal(done.failCause, cause, `${file}: ${done.failMessage}`);
      assert.notEqual(done.failMessage, '');
      assert.deepEqual(device.status().configDigest, before);
    }
  });

  test('downloadSoftware refuses bad images before touching the inactive bank', async () => {
    const device = await bench.startDevice({ stateDir: freshStateDir() });
    const stranger = generateKeyPair();
    const good = makeImage(bench.keys, { version: '2.0.0' });
    const tampered = Buffer.from(good);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 100) ^ 0x01, tampered.length - 100);
    await bench.serve('other-model.img', makeImage(bench.keys, { version: '2.0.0', model: 'IAD-800' }));
    await bench.serve('stranger.img', makeImage(stranger, { version: '2.0.0' }));
    await bench.serve('tampered.img', tampered);
    await bench.serve('truncated.img', good.subarray(0, good.length - 10));
    await bench.serve('not-an-image.img', 'hello');
    const cases = [
      ['other-model.img', 'imageWrongModel'],
      ['stranger.img', 'imageBadSignature'],
      ['tampered.img', 'imageCorrupt'],
      ['truncated.img', 'imageCorrupt'],
      ['not-an-image.img', 'imageCorrupt'],
    ] as const;
    let index = 1;
    for (const [file, cause] of cases) {
      const done = await runOperation(device, index++, bench.request('downloadSoftware', file));
      assert.equal(done.failCause, cause, `${file}: ${done.failMessage}`);
      const status = device.status();
      assert.equal(status.banks[1]?.state, 'empty', `${file}: bank B untouched`);
      assert.equal(status.nextBootBank, 'bankA');
    }
  });

  test('downloadSoftware refuses an image larger than the device takes', async () => {
    const device = await bench.startDevice({ stateDir: freshStateDir(), maxImageBytes: 2048 });
    await bench.serve('big.img', makeImage(bench.keys, { version: '2.0.0', payloadBytes: 8192 }));
    const done = await runOperation(device, 1, bench.request('downloadSoftware', 'big.img'));
    assert.equal(done.failCause, 'tooLarge', done.failMessage);
    assert.equal(device.status().banks[1]?.state, 'empty');
  });

  test('with rebootRequired false the download switches banks at its end and announces the boot', async () => {
    const device = await bench.startDevice({ stateDir: freshStateDir(), rebootRequired: false });
    assert.equal(device.status().rebootRequired, false);
    await bench.serve('v2-inplace.img', makeImage(bench.keys, { version: '2.0.0' }));
    const boots: DeviceStatus[] = [];
    device.on('bootCompleted', (s) => boots.push(s));
    const done = await runOperation(device, 1, bench.request('downloadSoftware', 'v2-inplace.img'));
    assert.equal(done.state, 'successful', done.failMessage);
    const status = device.status();
    assert.equal(status.runningVersion, '2.0.0');
    assert.equal(status.previousVersion, '1.0.0');
    assert.equal(status.activeBank, 'bankB');
    assert.equal(boots.length, 1);
  });
});

describe('over FTP', () => {
  test("backup and download with per-transfer credentials, from the device's own address", async () => {
    const ftp = await FtpFileServer.start({ root: bench.root, address: '127.0.0.1', port: 0 });
    try {
      const device = await bench.startDevice({ stateDir: freshStateDir() });
      const ftpRequest = (type: 'backupConfig' | 'downloadSoftware', file: string, mode: 'read' | 'write') => {
        const credentials = ftp.issueTransfer({ mode, file, peerAddress: device.address });
        return bench.request(type, file, { protocol: 'ftp', server: { address: '127.0.0.1', port: ftp.port }, ...credentials });
      };
      const backup = await runOperation(device, 1, ftpRequest('backupConfig', 'ftp-backup.cfg', 'write'));
      assert.equal(backup.state, 'successful', backup.failMessage);
      assert.equal(configDigest(await bench.served('ftp-backup.cfg')), device.status().configDigest.toString('hex'));
      await bench.serve('ftp-v2.img', makeImage(bench.keys, { version: '2.0.0' }));
      const downloaded = await runOperation(device, 2, ftpRequest('downloadSoftware', 'ftp-v2.img', 'read'));
      assert.equal(downloaded.state, 'successful', downloaded.failMessage);
      assert.equal(device.status().previousVersion, '2.0.0');
      const refused = await runOperation(
        device,
        3,
        bench.request('downloadSoftware', 'ftp-v2.img', {
          protocol: 'ftp',
          server: { address: '127.0.0.1', port: ftp.port },
          username: 'nobody',
          password: 'wrong',
        }),
      );
      assert.equal(refused.failCause, 'accessDenied', refused.failMessage);
    } finally {
      await ftp.close();
    }
  });
});

describe('the operation table', () => {
  test('the same request twice returns the same row; other parameters on that index are refused', async () => {
    const device = await bench.startDevice({ stateDir: freshStateDir() });
    const name = bench.tftp.issueWriteName();
    const request = bench.request('backupConfig', name);
    const first = device.createOperation(7, request);
    const again = device.createOperation(7, { ...request });
    assert.deepEqual(again, first);
    assert.equal(device.operations().length, 1);
    assert.throws(
      () => device.createOperation(7, { ...request, fileName: 'other.cfg' }),
      (error: OperationRejected) => error.reason === 'exists',
    );
    const done = await new Promise<Operation>((resolve) => device.on('operationCompleted', resolve));
    assert.equal(done.state, 'successful', done.failMessage);
    assert.deepEqual(device.createOperation(7, request), done, 'a repeat after the end returns the finished row');
    assert.equal(device.operations().length, 1);
  });

  test('one operation at a time: a second one is refused as busy, naming what runs', async () => {
    const device = await bench.startDevice({ stateDir: freshStateDir(), rebootMs: 200 });
    device.createOperation(1, bench.request('reboot'));
    assert.throws(
      () => device.createOperation(2, bench.request('backupConfig', 'x.cfg')),
      (error: OperationRejected) => error.reason === 'busy' && /operation 1 \(reboot\)/.test(error.message),
    );
    assert.throws(
      () => device.destroyOperation(1),
      (error: OperationRejected) => error.reason === 'busy',
    );
    await new Promise<void>((resolve) => device.once('operationCompleted', () => resolve()));
    assert.equal(device.destroyOperation(1), true);
    assert.equal(device.destroyOperation(1), false);
    assert.equal(device.operations().length, 0);
  });

  test('while rebooting the device does not answer and refuses new rows', async () => {
    const device = await bench.startDevice({ stateDir: freshStateDir(), rebootMs: 200 });
    const done = runOperation(device, 1, bench.request('reboot'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(device.answering, false);
    assert.throws(
      () => device.createOperation(2, bench.request('reboot')),
      (error: OperationRejected) => error.reason === 'notAnswering',
    );
    assert.equal((await done).state, 'successful');
    assert.equal(device.answering, true);
  });

  test('bad requests are refused and change nothing', async () => {
    const device = await bench.startDevice({ stateDir: freshStateDir() });
    const before = device.status();
    const bad = [
      [0, bench.request('reboot')],
      [2 ** 31, bench.request('reboot')],
      [1, bench.request('backupConfig', '')],
      [1, bench.request('downloadSoftware', '../etc/passwd')],
      [1, bench.request('downloadSoftware', '/abs.img')],
      [1, bench.request('downloadSoftware', 'a\u0000b')],
      [1, bench.request('restoreConfig', 'x.cfg', { server: undefined })],
      [1, bench.request('restoreConfig', 'x.cfg', { server: { address: '10.0.0.1', port: 69 } })],
      [1, bench.request('restoreConfig', 'x.cfg', { server: { address: '127.0.0.1', port: 70000 } })],
      [1, { ...bench.request('reboot'), type: 'format' as never }],
      [1, { ...bench.request('backupConfig', 'x.cfg'), protocol: 'http' as never }],
      [1, bench.request('reboot', '', { notifyTarget: { address: 'example.com', port: 162 } })],
    ] as const;
    for (const [index, request] of bad) {
      assert.throws(
        () => device.createOperation(index, request),
        (error: OperationRejected) => error.reason === 'invalid',
        JSON.stringify(request),
      );
    }
    assert.deepEqual(device.operations(), []);
    assert.deepEqual(device.status(), before);
  });

  test('passwords read back empty, and the table keeps only the newest finished rows', async () => {
    const device = await bench.startDevice({ stateDir: freshStateDir(), maxFinishedOperations: 3 });
    for (let index = 1; index <= 5; index++) {
      const done = await runOperation(device, index, bench.request('backupConfig', 'nowhere.cfg', { password: 'secret' }));
      assert.equal(done.failCause, 'accessDenied', done.failMessage);
      assert.equal(done.request.password, '');
    }
    assert.deepEqual(
      device.operations().map((operation) => operation.index),
      [3, 4, 5],
    );
  });

  test('the notify target is kept across restarts; a bad one is refused', async () => {
    const stateDir = freshStateDir();
    const device = await bench.startDevice({ stateDir });
    await device.setNotifyTarget({ address: '127.0.0.9', port: 1162 });
    await assert.rejects(device.setNotifyTarget({ address: '192.0.2.1', port: 162 }), (error: OperationRejected) => error.reason === 'invalid');
    await device.stop();
    assert.deepEqual((await restartFromDisk(stateDir)).notifyTarget, { address: '127.0.0.9', port: 1162 });
  });
});
