// Huawei VRP devices upgraded end to end: the manager drives virtual devices through VRP's own objects
// (huaweiFlhOpTable, hwCfgOperateTable and its results, the images in flash, a reload schedule), their
// configuration travels as display current-configuration text, a restore is checked by backing up again,
// and a run that cannot finish orders the device back to its previous image. Each scenario takes its own device.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FaultPlan } from '../../src/agent/faults.ts';
import { huaweiPersonality } from '../../src/families/huawei/personality.ts';
import type { RunEvent } from '../../src/manager/store/records.ts';
import { type Harness, type Scenario, startHarness, startScenarios } from '../helpers/procedure-harness.ts';

const model = 'AR2220';
const small = { retries: 2, backoffSeconds: 0.2, then: 'abort' as const };
const policy = { backup: small, upgrade: small, migrate: small, restore: small };

const faults: Record<number, FaultPlan> = {
  // 1: a clean device.
  2: { failDownloads: { count: 1, cause: 'transferTimeout' } },
  3: { failBoots: 1 },
  4: { failRestores: { count: 1, cause: 'transferTimeout' } },
  5: { dropNotifications: 1 },
  6: { powerLoss: { operation: 'downloadSoftware', percent: 40, powerOffMs: 300, count: 1 } },
  // A configuration the new software refuses (no retry can help): the run gives up and rolls the device back.
  7: { failRestores: { count: 1, cause: 'configInvalid' } },
};

let harness: Harness;
/** Every scenario's run, started together: the devices are independent. */
let runs: Map<number, Promise<Scenario>>;

before(async () => {
  harness = await startHarness({
    devices: 7,
    faults: (n) => faults[n] ?? {},
    kindOf: (_n, lab) => ({
      family: 'huawei',
      personality: huaweiPersonality({ tftpPort: lab.tftpPort, ftpPort: lab.ftpPort }),
      model,
      software: lab.softwareFor(model),
    }),
  });
  runs = startScenarios(harness, Object.fromEntries([1, 2, 3, 4, 5, 6, 7].map((n) => [n, `2.0.${n}`])), { model, family: 'huawei' }, policy);
});

after(async () => {
  await harness?.stop();
});

const kinds = (timeline: RunEvent[], kind: RunEvent['kind']) => timeline.filter((event) => event.kind === kind);
const failed = (timeline: RunEvent[], phase: RunEvent['phase']) =>
  kinds(timeline, 'phaseFailed')
    .filter((event) => event.phase === phase)
    .map((event) => event.cause);

test('a clean upgrade: VRP text backed up, net2Flash, a reload on the new image, the configuration restored and read back equal', async () => {
  const { before, run, timeline, now } = await runs.get(1)!;
  assert.equal(run.state, 'verified', run.outcome?.summary);
  assert.equal(now.runningVersion, '2.0.1');
  assert.notEqual(now.activeBank, before.activeBank, 'the device runs the other image in flash');
  assert.equal(now.previousVersion, before.runningVersion, 'the previous image is kept, the way back');
  const readBack = kinds(timeline, 'readBack')[0];
  assert.equal(readBack?.cause, null);
  assert.ok((readBack!.detail.ignored as string[]).some((line) => line.startsWith('!Last configuration was updated at')));
  const backup = await harness.files.readBackup(run.outcome!.backupSha256!);
  assert.match(backup.toString('utf8'), /^!Software Version /);
  assert.match(backup.toString('utf8'), /\nreturn\n$/);
});

test('a failed image download is retried and the run finishes', async () => {
  const { run, timeline, now } = await runs.get(2)!;
  assert.equal(run.state, 'verified', run.outcome?.summary);
  assert.equal(now.runningVersion, '2.0.2');
  assert.deepEqual(failed(timeline, 'upgrade'), ['transferTimeout']);
});

test('an image that does not boot: the device comes back on its old image, the run says so and tries again', async () => {
  const { run, timeline, now } = await runs.get(3)!;
  assert.equal(run.state, 'verified', run.outcome?.summary);
  assert.equal(now.runningVersion, '2.0.3');
  assert.deepEqual(failed(timeline, 'upgrade'), ['fellBack']);
});

test('a restore that fails is retried', async () => {
  const { run, timeline } = await runs.get(4)!;
  assert.equal(run.state, 'verified', run.outcome?.summary);
  assert.deepEqual(failed(timeline, 'restore'), ['transferTimeout']);
});

test('every notification lost: polling the operation rows finishes the run', async () => {
  const { run, timeline } = await runs.get(5)!;
  assert.equal(run.state, 'verified', run.outcome?.summary);
  assert.ok(kinds(timeline, 'pollingFallback').length >= 1);
});

test('a power cut mid-download: the device forgets the row, the run orders it again and finishes', async () => {
  const { run, now } = await runs.get(6)!;
  assert.equal(run.state, 'verified', run.outcome?.summary);
  assert.equal(now.runningVersion, '2.0.6');
});

test('a configuration the new software refuses: the run rolls back, a reload on the previous image and the original configuration', async () => {
  const { before, run, timeline, now } = await runs.get(7)!;
  assert.equal(run.state, 'rolledBack', run.outcome?.summary);
  assert.equal(now.runningVersion, before.runningVersion);
  assert.equal(now.activeBank, before.activeBank);
  const ordered = kinds(timeline, 'operationStarted').map((event) => event.detail?.type);
  assert.ok(ordered.includes('revertSoftware'), 'the rollback ordered the device back');
});
