// Runs that ask an operator, and requests the procedure refuses. Real virtual devices, a real embedded
// PostgreSQL and DBOS; each outcome is compared with what the device reports afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FaultPlan } from '../../src/agent/faults.ts';
import { DecisionError, NotWaitingError, RunRequestError } from '../../src/manager/procedure/procedure.ts';
import { DeviceStore } from '../../src/manager/store/devices.ts';
import { finalStates, startHarness, type Harness } from '../helpers/procedure-harness.ts';

const faults: Record<number, FaultPlan> = {
  1: { failDownloads: { count: 1, cause: 'fileNotFound' } },
  2: { rejectConfigFormat: 1 },
  3: { rejectConfigFormat: 1 },
};

const askAtOnce = { retries: 0, backoffSeconds: 0, then: 'ask' as const };

let harness: Harness;

before(async () => {
  harness = await startHarness({ devices: 5, faults: (n) => faults[n] ?? {} });
});

after(async () => {
  await harness?.stop();
});

async function runCount(): Promise<number> {
  return (await harness.procedure.runs.list({ limit: 1000 })).length;
}

test('a run asks the operator; retry with a corrected image finishes it', async () => {
  const { member, record } = harness.devices[0]!;
  const before = await harness.read(member);
  const image = await harness.image('4.0.0');
  const corrected = await harness.image('4.0.1');
  const started = await harness.procedure.startRun({
    deviceId: record.id,
    imageSha256: image.sha256,
    policy: { upgrade: askAtOnce },
    startedBy: 'operator:ann',
  });
  const waiting = await harness.waitFor(started.id, ['waiting']);
  assert.equal(waiting.phase, 'upgrade');
  const decision = await harness.procedure.decide(started.id, { answer: 'retry', actor: 'operator:bob', imageSha256: corrected.sha256 });
  assert.equal(decision.actor, 'operator:bob');
  const run = await harness.waitFor(started.id, finalStates);
  assert.equal(run.state, 'verified', run.outcome?.summary);
  const now = await harness.read(member);
  assert.equal(now.runningVersion, '4.0.1');
  assert.equal(now.configDigest, before.configDigest);
  assert.equal(run.outcome?.runningVersion, now.runningVersion);
  const timeline = await harness.procedure.runs.timeline(run.id);
  const asked = timeline.find((event) => event.kind === 'askedOperator');
  assert.equal(asked?.cause, 'fileNotFound');
  const decided = timeline.find((event) => event.kind === 'decision');
  assert.equal(decided?.actor, 'operator:bob');
  assert.equal(decided?.detail.imageSha256, corrected.sha256);
  assert.deepEqual(
    (await harness.procedure.runs.decisions(run.id)).map((d) => [d.answer, d.actor]),
    [['retry', 'operator:bob']],
  );
  await assert.rejects(harness.procedure.decide(run.id, { answer: 'retry', actor: 'operator:bob' }), NotWaitingError);
});

test('the operator aborts after the new software runs: full rollback to the old software and the original configuration', async () => {
  const { member, record } = harness.devices[1]!;
  const before = await harness.read(member);
  const image = await harness.image('5.0.0', { configFormat: 2 });
  const started = await harness.procedure.startRun({
    deviceId: record.id,
    imageSha256: image.sha256,
    policy: { restore: askAtOnce },
    startedBy: 'operator:ann',
  });
  const waiting = await harness.waitFor(started.id, ['waiting']);
  assert.equal(waiting.phase, 'restore');
  const midway = await harness.read(member);
  assert.equal(midway.runningVersion, '5.0.0');
  await harness.procedure.decide(started.id, { answer: 'abort', actor: 'operator:carl' });
  const run = await harness.waitFor(started.id, finalStates);
  assert.equal(run.state, 'rolledBack', run.outcome?.summary);
  assert.equal(run.outcome?.keptNewSoftware, false);
  const now = await harness.read(member);
  assert.equal(now.runningVersion, before.runningVersion);
  assert.equal(now.activeBank, before.activeBank);
  assert.equal(now.configDigest, before.configDigest);
  assert.equal(now.configFormat, before.configFormat);
  assert.equal(run.outcome?.runningVersion, now.runningVersion);
  assert.equal(run.outcome?.configDigest, now.configDigest);
  const timeline = await harness.procedure.runs.timeline(run.id);
  assert.ok(timeline.some((event) => event.phase === 'rollback' && event.kind === 'operationStarted' && event.detail.type === 'revertSoftware'));
  assert.ok(timeline.some((event) => event.phase === 'rollback' && event.kind === 'phaseSucceeded'));
  assert.match(run.outcome?.summary ?? '', /carl stopped the run/);
});

test('the operator keeps the new software: no rollback, the report says so', async () => {
  const { member, record } = harness.devices[2]!;
  const image = await harness.image('5.0.1', { configFormat: 2 });
  const started = await harness.procedure.startRun({
    deviceId: record.id,
    imageSha256: image.sha256,
    policy: { restore: askAtOnce },
    startedBy: 'operator:ann',
  });
  await harness.waitFor(started.id, ['waiting']);
  await harness.procedure.decide(started.id, { answer: 'keepNewSoftware', actor: 'operator:dora' });
  const run = await harness.waitFor(started.id, finalStates);
  assert.equal(run.state, 'aborted');
  assert.equal(run.outcome?.keptNewSoftware, true);
  const now = await harness.read(member);
  assert.equal(now.runningVersion, '5.0.1');
  assert.equal(run.outcome?.runningVersion, now.runningVersion);
  const timeline = await harness.procedure.runs.timeline(run.id);
  assert.equal(timeline.filter((event) => event.phase === 'rollback').length, 0);
});

test('bad requests are refused with a clear error and change nothing', async () => {
  const { member, record } = harness.devices[3]!;
  const image = await harness.image('6.0.0');
  const foreign = await harness.image('9.0.0', { model: 'VGW-800' });
  const runsBefore = await runCount();
  await assert.rejects(
    harness.procedure.startRun({ deviceId: 999_999, imageSha256: image.sha256, startedBy: 'operator:ann' }),
    (error: unknown) => error instanceof RunRequestError && error.problem === 'unknownDevice',
  );
  await assert.rejects(
    harness.procedure.startRun({ deviceId: record.id, imageSha256: 'f'.repeat(64), startedBy: 'operator:ann' }),
    (error: unknown) => error instanceof RunRequestError && error.problem === 'unknownImage',
  );
  await assert.rejects(
    harness.procedure.startRun({ deviceId: record.id, imageSha256: image.sha256, policy: { upgrade: { retries: -1 } }, startedBy: 'operator:ann' }),
    (error: unknown) => error instanceof RunRequestError && error.problem === 'badPolicy',
  );
  await assert.rejects(harness.procedure.decide('run-999999', { answer: 'retry', actor: 'operator:ann' }), DecisionError);
  assert.equal(await runCount(), runsBefore);

  // The device's model is not known yet: preflight finds the image is for another model and stops.
  const opsBefore = member.device.operations().length;
  const banksBefore = member.device.status().banks;
  const refused = await harness.procedure.startRun({ deviceId: record.id, imageSha256: foreign.sha256, startedBy: 'operator:ann' });
  const run = await harness.waitFor(refused.id, finalStates);
  assert.equal(run.state, 'failed');
  assert.equal(run.phase, 'preflight');
  assert.match(run.outcome?.summary ?? '', /wrongModel/);
  assert.equal(member.device.operations().length, opsBefore);
  assert.deepEqual(member.device.status().banks, banksBefore);
  // Now the model is known: the run is refused before it starts.
  const runsNow = await runCount();
  await assert.rejects(
    harness.procedure.startRun({ deviceId: record.id, imageSha256: foreign.sha256, startedBy: 'operator:ann' }),
    (error: unknown) => error instanceof RunRequestError && error.problem === 'wrongModel',
  );
  assert.equal(await runCount(), runsNow);
});

test('a device has one active run at a time; a decision must fit the run', async () => {
  const { member, record } = harness.devices[4]!;
  member.device.setFaults({ failBackups: { count: 1, cause: 'accessDenied' } });
  const image = await harness.image('7.0.0');
  const first = await harness.procedure.startRun({ deviceId: record.id, imageSha256: image.sha256, policy: { backup: askAtOnce }, startedBy: 'operator:ann' });
  await harness.waitFor(first.id, ['waiting']);
  const runsBefore = await runCount();
  await assert.rejects(
    harness.procedure.startRun({ deviceId: record.id, imageSha256: image.sha256, startedBy: 'operator:ann' }),
    (error: unknown) => error instanceof RunRequestError && error.problem === 'activeRun' && error.message.includes(first.id),
  );
  await assert.rejects(harness.procedure.startBackup({ deviceId: record.id, startedBy: 'operator:ann' }), RunRequestError);
  assert.equal(await runCount(), runsBefore);
  // Waiting in backup: there is no new software to keep, and no image goes with the backup phase.
  await assert.rejects(
    harness.procedure.decide(first.id, { answer: 'keepNewSoftware', actor: 'operator:ann' }),
    (error: unknown) => error instanceof DecisionError && error.problem === 'notHere',
  );
  await assert.rejects(
    harness.procedure.decide(first.id, { answer: 'retry', actor: 'operator:ann', imageSha256: image.sha256 }),
    (error: unknown) => error instanceof DecisionError && error.problem === 'notHere',
  );
  await assert.rejects(harness.procedure.decide(first.id, { answer: 'retry', actor: 'policy' }), DecisionError);
  assert.equal((await harness.procedure.runs.get(first.id))?.state, 'waiting');
  assert.equal((await harness.procedure.runs.decisions(first.id)).length, 0);

  await harness.procedure.decide(first.id, { answer: 'abort', actor: 'operator:ann' });
  const run = await harness.waitFor(first.id, finalStates);
  assert.equal(run.state, 'aborted');
  assert.match(run.outcome?.summary ?? '', /nothing on the device was changed/);

  // The device is free again: an on-demand backup runs.
  const backup = await harness.procedure.startBackup({ deviceId: record.id, startedBy: 'operator:ann' });
  const done = await harness.waitFor(backup.runId, finalStates);
  assert.equal(done.state, 'verified', done.outcome?.summary);
  assert.equal(done.kind, 'backup');
  const saved = (await harness.files.listBackups(record.id)).find((b) => b.sha256 === done.outcome?.backupSha256);
  assert.equal(saved?.configDigest, (await harness.read(member)).configDigest);
});

test('an unreachable device and a device with wrong credentials: the run stops in preflight, nothing changes', async () => {
  const image = await harness.image('7.0.0');
  const devices = new DeviceStore(harness.database.pool);
  const user = { name: 'manager', authKey: 'manager-auth-key', privKey: 'manager-priv-key' };
  // Nobody answers at this address.
  const nobody = await devices.add(
    { name: 'nobody-home', address: '127.2.250.250', port: 9, security: { version: 'v3', user }, tags: [] },
    { action: 'device.add', actor: 'operator:ann' },
  );
  const unreachable = await harness.procedure.startRun({ deviceId: nobody.id, imageSha256: image.sha256, startedBy: 'operator:ann' });
  const silent = await harness.waitFor(unreachable.id, finalStates, 60);
  assert.equal(silent.state, 'failed');
  assert.equal(silent.phase, 'preflight');
  assert.match(silent.outcome?.summary ?? '', /silent|answer/i);

  // A real device, but the inventory holds the wrong keys for it: the agent refuses every request.
  const { member, record } = harness.devices[4]!;
  await harness.database.pool.query('UPDATE safeflash.devices SET security = $1 WHERE id = $2', [
    { version: 'v3', user: { ...user, authKey: 'not-the-right-key' } },
    record.id,
  ]);
  const opsBefore = member.device.operations().length;
  const statusBefore = member.device.status();
  const refused = await harness.procedure.startRun({ deviceId: record.id, imageSha256: image.sha256, startedBy: 'operator:ann' });
  const run = await harness.waitFor(refused.id, finalStates, 60);
  assert.equal(run.state, 'failed');
  assert.equal(run.phase, 'preflight');
  assert.equal(member.device.operations().length, opsBefore);
  assert.deepEqual(member.device.status().banks, statusBefore.banks);
  assert.equal(member.device.status().configDigest.toString('hex'), statusBefore.configDigest.toString('hex'));
  const failed = (await harness.procedure.runs.timeline(run.id)).find((event) => event.kind === 'phaseFailed');
  assert.ok(failed, 'the timeline says why');
  assert.ok(failed.message.length > 0);
});
