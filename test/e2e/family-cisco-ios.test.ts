// Cisco IOS routers upgraded end to end: the manager drives virtual routers through IOS's own objects
// (ccCopyTable, ciscoFlashCopyTable, tsMsgSend), their configuration travels as show running-config
// text, and a restore is checked by backing up again. Each scenario takes its own router.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FaultPlan } from '../../src/agent/faults.ts';
import { ciscoIosPersonality } from '../../src/families/cisco-ios/personality.ts';
import type { RunEvent } from '../../src/manager/store/records.ts';
import { type Harness, type Scenario, startHarness, startScenarios } from '../helpers/procedure-harness.ts';

const routerModel = 'ISR-4321';
const small = { retries: 2, backoffSeconds: 0.2, then: 'abort' as const };
const policy = { backup: small, upgrade: small, migrate: small, restore: small };

const faults: Record<number, FaultPlan> = {
  // 1: a clean router.
  2: { failDownloads: { count: 1, cause: 'transferTimeout' } },
  3: { failBoots: 1 },
  // A restore that fails once on the way (the router's copy times out): tried again.
  4: { failRestores: { count: 1, cause: 'transferTimeout' } },
  5: { dropNotifications: 1 },
  // The power goes halfway through the download and comes back: the copy row is gone, the run orders it again.
  6: { powerLoss: { operation: 'downloadSoftware', percent: 40, powerOffMs: 300, count: 1 } },
};

let harness: Harness;
/** Every scenario's run, started together: the routers are independent, so the file takes as long as its slowest run. */
let runs: Map<number, Promise<Scenario>>;
const versions: Record<number, string> = { 1: '2.0.0', 2: '2.0.1', 3: '2.0.2', 4: '2.0.3', 5: '2.0.4', 6: '2.0.5' };

before(async () => {
  harness = await startHarness({
    devices: 6,
    faults: (n) => faults[n] ?? {},
    kindOf: (_n, lab) => ({
      family: 'cisco-ios',
      personality: ciscoIosPersonality({ tftpPort: lab.tftpPort, ftpPort: lab.ftpPort }),
      model: routerModel,
      software: lab.softwareFor(routerModel),
    }),
  });
  runs = startScenarios(harness, versions, { model: routerModel, family: 'cisco-ios' }, policy);
});

after(async () => {
  await harness?.stop();
});

const kinds = (timeline: RunEvent[], kind: RunEvent['kind']) => timeline.filter((event) => event.kind === kind);

test('a clean upgrade: IOS text backed up, image copied into flash, reload, configuration restored and read back equal', async () => {
  const { run, timeline, now, member } = await runs.get(1)!;
  assert.equal(run.state, 'verified', run.outcome?.summary);
  assert.equal(now.runningVersion, '2.0.0');
  assert.deepEqual(
    kinds(timeline, 'phaseSucceeded').map((event) => event.phase),
    ['preflight', 'backup', 'upgrade', 'restore', 'verify'],
  );
  const readBack = kinds(timeline, 'readBack')[0];
  assert.ok(readBack, 'the restore was checked by a second backup');
  assert.equal(readBack.cause, null);
  assert.match(readBack.message, /equals the one restored, leaving out \d+ lines that change by themselves/);
  assert.ok((readBack.detail.ignored as string[]).some((line) => line.startsWith('! Last configuration change at')));
  // The backup the manager holds is the router's own text.
  const backup = await harness.files.readBackup(run.outcome!.backupSha256!);
  assert.match(backup.toString('utf8'), /^Building configuration\.\.\./);
  assert.equal(member.device.status().configDigest.toString('hex').length, 64);
});

test('a failed image download is retried and the run finishes', async () => {
  const { run, timeline, now } = await runs.get(2)!;
  assert.equal(run.state, 'verified', run.outcome?.summary);
  assert.equal(now.runningVersion, '2.0.1');
  assert.deepEqual(
    kinds(timeline, 'phaseFailed')
      .filter((event) => event.phase === 'upgrade')
      .map((event) => event.cause),
    ['transferTimeout'],
  );
});

test('an image that does not boot: the router comes back on its old image, the run says so and tries again', async () => {
  const { run, timeline, now } = await runs.get(3)!;
  assert.equal(run.state, 'verified', run.outcome?.summary);
  assert.equal(now.runningVersion, '2.0.2');
  const failed = kinds(timeline, 'phaseFailed').find((event) => event.phase === 'upgrade');
  assert.equal(failed?.cause, 'fellBack');
  assert.match(failed!.message, /1\.0\.0/);
});

test('a restore that fails is retried', async () => {
  const { run, timeline } = await runs.get(4)!;
  assert.equal(run.state, 'verified', run.outcome?.summary);
  assert.deepEqual(
    kinds(timeline, 'phaseFailed')
      .filter((event) => event.phase === 'restore')
      .map((event) => event.cause),
    ['transferTimeout'],
  );
});

test('every notification lost: polling the copy rows finishes the run', async () => {
  const { run, timeline } = await runs.get(5)!;
  assert.equal(run.state, 'verified', run.outcome?.summary);
  assert.ok(kinds(timeline, 'pollingFallback').length >= 1);
});

test('a power cut mid-download: the router forgets the copy, the run orders it again and finishes', async () => {
  const { run, now } = await runs.get(6)!;
  assert.equal(run.state, 'verified', run.outcome?.summary);
  assert.equal(now.runningVersion, '2.0.5');
});
