// The method's other way to convert a configuration: the device converts it with its own converter
// (convertConfig), when the run asks and the family can; the manager checks what the device made by
// backing it up and validating it, and the run records who converted.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { finalStates, type Harness, startHarness } from '../helpers/procedure-harness.ts';

let harness: Harness;

before(async () => {
  harness = await startHarness({ devices: 1 });
});

after(async () => {
  await harness?.stop();
});

test('the device converts its configuration to the new format itself; the manager checks it and the run says who converted', async () => {
  const { member, record } = harness.devices[0]!;
  const before = await harness.read(member);
  assert.equal(before.configFormat, 1);
  const image = await harness.image('2.0.0', { configFormat: 2 });
  const quick = { retries: 1, backoffSeconds: 0.2, then: 'abort' as const };
  const started = await harness.procedure.startRun({
    deviceId: record.id,
    imageSha256: image.sha256,
    policy: { backup: quick, upgrade: quick, migrate: quick, restore: quick },
    options: { converter: 'device' },
    startedBy: 'operator:tester',
  });
  const run = await harness.waitFor(started.id, finalStates);
  assert.equal(run.state, 'verified', run.outcome?.summary);
  assert.equal(run.options?.converter, 'device');
  assert.match(run.outcome?.summary ?? '', /configuration converted by the device from format 1 to 2/);
  const timeline = await harness.procedure.runs.timeline(run.id);
  assert.ok(timeline.some((event) => event.phase === 'migrate' && event.kind === 'phaseSkipped' && event.detail.converter === 'device'));
  const converted = timeline.find((event) => event.kind === 'migration' && event.actor === 'device');
  assert.ok(converted, 'the device converted, and the timeline says so');
  assert.equal(converted.detail.toFormat, 2);
  assert.deepEqual(
    timeline.filter((event) => event.kind === 'operationStarted').map((event) => event.detail.type),
    ['backupConfig', 'downloadSoftware', 'reboot', 'convertConfig', 'backupConfig'],
  );
  const now = await harness.read(member);
  assert.equal(now.configFormat, 2);
  assert.equal(now.runningVersion, '2.0.0');
  // The original backup is kept as it was: format 1.
  const original = await harness.store.backups.get(run.outcome!.backupSha256!);
  assert.equal(original?.configFormat, 1);
});
