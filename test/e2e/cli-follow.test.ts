// Following runs from the command line survives the manager: `safeflash upgrade` follows a run while its
// manager is SIGKILLed and restarted, says the manager is unreachable, reconnects and exits with the
// run's real result. `safeflash runs follow` re-attaches to a run another command started. A device
// named twice (name, address, id) is one device. Real `safeflash serve` processes on fixed ports, a real
// fleet in this process (it outlives the manager), the devices' own answers as the judge.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Fleet } from '../../src/agent/fleet.ts';
import { vendorKeyPrefix } from '../../src/agent/vendor-key.ts';
import { packImage } from '../../src/protocol/image.ts';
import { keyPairFiles, readPrivateKey } from '../../src/protocol/keys.ts';
import { runCli, startCli, startServe, type ServeProcess } from '../helpers/cli-process.ts';
import { killLab, killPostgres, labModel, readLabDevice, restartableServeArgs, startLabFleet, waitFor } from '../helpers/kill-manager.ts';

const lab = killLab('sf-follow-', 61);
const { dir, dataDir, third, devicePort, address, deviceName, credentials } = lab;
const testTimeout = { timeout: 240_000 };

// Device 1: followed across a manager restart. Device 2: started by one command, followed by another.
// Both transfer slowly (a pause per tenth of a file), so that their runs last while the test acts.
// Device 3: named three ways at once.
const acrossRestart = 1;
const startedElsewhere = 2;
const namedThrice = 3;

let fleet: Fleet;
let serveArgs: string[];
let manager: ServeProcess | undefined;
let env: Record<string, string>;
let imageSha256: string;

const cli = (...args: string[]) => runCli(args, { env, timeoutMs: 120_000 });

const readDevice = (n: number) => readLabDevice(lab, n);

/** One row of the summary table: DEVICE RUN RESULT PHASE RETRIES REVERTS ... */
function summaryRows(stdout: string, device: string): string[][] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith(`${device} `))
    .map((line) => line.trim().split(/\s+/));
}

before(async () => {
  fleet = await startLabFleet({
    dir,
    devices: 3,
    baseAddress: address(1),
    port: devicePort,
    faults: (n) => (n === acrossRestart || n === startedElsewhere ? { slowTransfers: { stepDelayMs: 400 } } : {}),
  });
  // Fixed ports, the API's too: the command that follows, and the devices, find the restarted manager there.
  serveArgs = await restartableServeArgs(lab, true);
  manager = await startServe(serveArgs);
  env = manager.env;
  const discovered = await cli('device', 'discover', `127.61.${third}.0/29`, '--port', String(devicePort), '--timeout-ms', '300', ...credentials);
  assert.equal(discovered.code, 0, discovered.stderr);
  assert.match(discovered.stdout, /3 devices answered \(3 added/);
  const key = readPrivateKey(keyPairFiles(vendorKeyPrefix(join(dir, 'vendor'))).privateKeyFile);
  const file = join(dir, 'new.sfimg');
  writeFileSync(file, packImage({ model: labModel, version: '1.1.0', configFormat: 2 }, Buffer.from('software 1.1.0'), key));
  const added = await cli('image', 'add', file, '--json');
  assert.equal(added.code, 0, added.stderr);
  imageSha256 = (JSON.parse(added.stdout) as { sha256: string }).sha256;
});

after(async () => {
  await manager?.stop('SIGKILL');
  await killPostgres(dataDir);
  await fleet?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('the manager is killed and restarted while `safeflash upgrade` follows: unreachable, then exit 0 with the run verified', testTimeout, async () => {
  const following = startCli(['upgrade', deviceName(acrossRestart), '--image', imageSha256, '--no-interactive'], { env, timeoutMs: 200_000 });
  // Killed once the run is under way on the device (its backup, slowed, lasts a few seconds).
  await waitFor('the backup ordered', () => (/backup operationStarted/.test(following.output()) ? true : undefined), 60_000);
  await manager!.stop('SIGKILL');
  manager = undefined;
  try {
    await waitFor('the command to say the manager is unreachable', () => (/the manager is unreachable/.test(following.output()) ? true : undefined), 60_000);
  } finally {
    // The next tests need a manager whatever happened here.
    manager = await startServe(serveArgs);
  }

  const result = await following.done;
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /the manager is unreachable \(http:\/\/[0-9.:]+: connection refused/);
  assert.match(result.stdout, /the runs go on in it/);
  assert.match(result.stdout, /the manager answers again after/);
  assert.match(result.stdout, /verify runEnded \[verified\]/);
  assert.match(result.stderr, /all 1 device verified on 1\.1\.0/);
  const [row] = summaryRows(result.stdout, deviceName(acrossRestart));
  assert.equal(row?.[2], 'verified', result.stdout);
  assert.equal((await readDevice(acrossRestart)).runningVersion, '1.1.0');
});

test('`runs follow` re-attaches to a run another command started, and exits with its result', testTimeout, async () => {
  const started = await cli('upgrade', deviceName(startedElsewhere), '--image', imageSha256, '--max-wait', '1');
  assert.equal(started.code, 1, started.stdout + started.stderr);
  const runId = /stopped following \(--max-wait 1 s\); the runs go on in the manager: safeflash runs follow (run-\d+)/.exec(started.stderr)?.[1];
  assert.ok(runId, started.stderr);

  const followed = await cli('runs', 'follow', runId, '--no-interactive');
  assert.equal(followed.code, 0, followed.stdout + followed.stderr);
  // The whole timeline, from the run's start, then the same summary as `safeflash upgrade`.
  assert.match(followed.stdout, /preflight phaseStarted/);
  assert.match(followed.stdout, /verify runEnded \[verified\]/);
  const [row] = summaryRows(followed.stdout, deviceName(startedElsewhere));
  assert.deepEqual(row?.slice(1, 3), [runId, 'verified'], followed.stdout);
  assert.match(followed.stderr, /all 1 run verified/);
  assert.equal((await readDevice(startedElsewhere)).runningVersion, '1.1.0');

  // An ended run: shown at once, same exit code.
  const again = await cli('runs', 'follow', runId);
  assert.equal(again.code, 0, again.stdout + again.stderr);
});

test('`runs follow` of an unknown run is refused as `runs show` refuses it: exit 2, nothing followed', testTimeout, async () => {
  const shown = await cli('runs', 'show', 'run-999999');
  const followed = await cli('runs', 'follow', 'run-999999');
  assert.equal(followed.code, 2, followed.stdout + followed.stderr);
  assert.equal(followed.code, shown.code);
  assert.match(followed.stderr, /no run "run-999999"/);
  assert.equal(followed.stdout, '');
});

test('one device named by its name, its address and its id is one device: one run, reported once, exit 0', testTimeout, async () => {
  const inventory = JSON.parse((await cli('device', 'list', '--json')).stdout) as Array<{ id: number; name: string }>;
  const device = inventory.find((d) => d.name === deviceName(namedThrice));
  assert.ok(device, JSON.stringify(inventory));
  const result = await cli('upgrade', deviceName(namedThrice), address(namedThrice), String(device.id), '--image', imageSha256);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stderr, new RegExp(`${deviceName(namedThrice)}, ${address(namedThrice)} and ${device.id} are the same device`));
  assert.match(result.stderr, /for 1 device\b/);
  assert.doesNotMatch(result.stderr, /not started|already has an active run/);
  assert.match(result.stderr, /all 1 device verified/);
  assert.equal(summaryRows(result.stdout, deviceName(namedThrice)).length, 1, result.stdout);
  const runs = JSON.parse((await cli('runs', 'list', '--device', deviceName(namedThrice), '--json')).stdout) as unknown[];
  assert.equal(runs.length, 1);
  assert.equal((await readDevice(namedThrice)).runningVersion, '1.1.0');
});
