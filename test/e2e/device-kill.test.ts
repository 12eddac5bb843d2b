// Power cuts for real: a child process runs a busy device and is SIGKILLed at different instants (mid
// download, mid bank write, mid reboot, mid restore); a device started afresh on the same state
// directory must boot a valid image and hold a whole configuration it was actually given.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { configDigest, factoryConfig, renderConfig } from '../../src/protocol/config.ts';
import { VirtualDevice } from '../../src/agent/device.ts';
import type { ChildSetup } from '../helpers/device-child.ts';
import { DeviceBench, deviceAddress, makeImage, testModel } from '../helpers/device-fixtures.ts';

const childScript = fileURLToPath(new URL('../helpers/device-child.ts', import.meta.url));
const kills = 10;

let bench: DeviceBench;
before(async () => {
  bench = await DeviceBench.open();
});
after(async () => {
  await bench.close();
});

async function runChildUntilKilled(setup: ChildSetup, killAfterMs: number): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', childScript, JSON.stringify(setup)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`device child not ready: ${output}`)), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`device child exited early with ${code}: ${output}`));
    });
  });
  await delay(killAfterMs);
  child.kill('SIGKILL');
  const [code, signal] = (await exited) as [number | null, string | null];
  assert.equal(signal, 'SIGKILL', `the child was still working when killed (exit code ${code})`);
}

/** Kills the device's process `kills` times and checks what it restarts on; `flushWrites` as the device's option. */
async function killAndRestart(t: TestContext, name: string, flushWrites: boolean): Promise<void> {
  const images = ['v2.img', 'v3.img'];
  await bench.serve('v2.img', makeImage(bench.keys, { version: '2.0.0', payloadBytes: 256 * 1024 }));
  await bench.serve('v3.img', makeImage(bench.keys, { version: '3.0.0', payloadBytes: 256 * 1024 }));
  const configs = [1, 2].map((seed) => factoryConfig({ model: testModel, serial: 'SN-0001', format: 1, seed }));
  await bench.serve('a.cfg', renderConfig(configs[0]!));
  await bench.serve('b.cfg', renderConfig(configs[1]!));
  const factoryImagePath = join(bench.dir, 'factory.img');
  await writeFile(factoryImagePath, bench.factoryImage);

  const stateDir = bench.stateDir(name);
  const setup: ChildSetup = {
    stateDir,
    address: deviceAddress(),
    publicKeyPem: bench.keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    factoryImagePath,
    tftpPort: bench.tftp.port,
    images,
    configs: ['a.cfg', 'b.cfg'],
    lifetimeMs: 60_000,
    flushWrites,
  };
  const factoryDigest = configDigest(factoryConfig({ model: testModel, serial: 'SN-0001', format: 1 }));
  const knownDigests = new Set([factoryDigest, ...configs.map((config) => configDigest(config))]);
  const versions = new Set<string>();
  const digests = new Set<string>();

  for (let kill = 0; kill < kills; kill++) {
    // Spread the kills over a work cycle (download ~ 100 ms slowed, write, reboot, restore, revert).
    const killAfterMs = 40 + ((kill * 97) % 600);
    await runChildUntilKilled(setup, killAfterMs);

    const device = new VirtualDevice(bench.deviceOptions({ stateDir }));
    await device.start();
    try {
      const status = device.status();
      const active = status.banks.find((bank) => bank.bank === status.activeBank);
      assert.equal(active?.state, 'valid', `kill ${kill} at ${killAfterMs} ms: boots a valid image`);
      assert.ok(['1.0.0', '2.0.0', '3.0.0'].includes(status.runningVersion), status.runningVersion);
      const digest = status.configDigest.toString('hex');
      assert.ok(knownDigests.has(digest), `kill ${kill} at ${killAfterMs} ms: the configuration is one the device was given`);
      for (const row of device.operations()) assert.ok(row.state === 'successful' || row.state === 'failed', `row ${row.index} is final after a power cut`);
      const cut = device
        .operations()
        .filter((row) => row.failCause === 'powerLoss')
        .map((row) => row.request.type);
      t.diagnostic(
        `kill ${kill} at ${killAfterMs} ms: running ${status.runningVersion} (${status.lastBootCause}), banks ${status.banks.map((b) => `${b.bank}=${b.state}`).join(' ')}, cut: ${cut.join(',')}`,
      );
      versions.add(status.runningVersion);
      digests.add(digest);
    } finally {
      await device.stop();
    }
    for (const dir of [stateDir, join(stateDir, 'banks'), join(stateDir, 'config')]) {
      assert.deepEqual(
        (await readdir(dir)).filter((name) => name.includes('.tmp-')),
        [],
        'recovery removed leftover temporary files',
      );
    }
  }
  // Evidence that the kills landed in different phases, not only before the first download.
  assert.ok(versions.size + digests.size > 2, `versions seen ${[...versions]}, configurations seen ${digests.size}`);
}

test(`a device SIGKILLed ${kills} times at different instants always restarts on a valid image with a whole configuration`, { timeout: 180_000 }, (t) =>
  killAndRestart(t, 'killed', true),
);

// A fleet's devices may skip the flushes (safeflash-agent --no-flush-writes): a killed process leaves
// the host's page cache standing, so every write it made must still be found.
test(`a device whose files are not flushed to the disk, SIGKILLed ${kills} times, restarts as safely`, { timeout: 180_000 }, (t) =>
  killAndRestart(t, 'killed-unflushed', false),
);
