// Cancelling runs, and the image a run names after an operator's corrected one. Real virtual devices
// (slowed where a cancel must land inside an operation), a real embedded PostgreSQL and DBOS; each
// outcome is compared with what the device reports afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FleetMember } from '../../src/agent/fleet.ts';
import type { FaultPlan } from '../../src/agent/faults.ts';
import type { OperationType } from '../../src/protocol/vocabulary.ts';
import { CancelError, NotWaitingError } from '../../src/manager/procedure/procedure.ts';
import type { RunEvent } from '../../src/manager/store/records.ts';
import { finalStates, startHarness, type Harness } from '../helpers/procedure-harness.ts';

/** Slow enough that a cancel lands inside the operation: the pause is per tenth of the file. */
const slow = { slowTransfers: { stepDelayMs: 400 } };

const faults: Record<number, FaultPlan> = {
  1: slow,
  2: { failDownloads: { count: 1, cause: 'fileNotFound' } },
  3: slow,
  4: { failBackups: { count: 1, cause: 'serverUnreachable' } },
  5: { corruptDownloads: 1 },
};

const askAtOnce = { retries: 0, backoffSeconds: 0, then: 'ask' as const };

let harness: Harness;

before(async () => {
  // A decision is looked for only on a wake-up (or after 10 min): a cut-short wait is the cancel's doing.
  harness = await startHarness({
    devices: 6,
    faults: (n) => faults[n] ?? {},
    timeouts: { downloadSeconds: 30, backupSeconds: 30, decisionRecheckSeconds: 600, decisionWaitSeconds: 1200 },
  });
});

after(async () => {
  await harness?.stop();
});

/** The device's operation of this type under way, once there is one. */
async function runningOperation(member: FleetMember, type: OperationType): Promise<void> {
  for (let waited = 0; waited < 600; waited++) {
    if (member.device.operations().some((op) => op.request.type === type && op.state === 'running' && op.progress > 0)) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`no ${type} under way on ${member.address}`);
}

function only(timeline: RunEvent[], kind: RunEvent['kind']): RunEvent {
  const found = timeline.filter((event) => event.kind === kind);
  assert.equal(found.length, 1, `one ${kind} event`);
  return found[0]!;
}

test('cancelled during a slow download: the download finishes, nothing new starts, the run rolls back', async () => {
  const { member, record } = harness.devices[0]!;
  const before = await harness.read(member);
  const image = await harness.image('8.0.0');
  const started = await harness.procedure.startRun({ deviceId: record.id, imageSha256: image.sha256, startedBy: 'operator:ann' });
  await runningOperation(member, 'downloadSoftware');
  const asked = await harness.procedure.cancel(started.id, 'operator:eve');
  assert.equal(asked.repeated, false);
  assert.equal(asked.run.cancelRequestedBy, 'operator:eve');
  // Asked again, by another: harmless, and the first request is the one on record.
  const again = await harness.procedure.cancel(started.id, 'operator:fay');
  assert.equal(again.repeated, true);
  assert.equal(again.run.cancelRequestedBy, 'operator:eve');

  const run = await harness.waitFor(started.id, finalStates);
  assert.equal(run.state, 'rolledBack', run.outcome?.summary);
  assert.match(run.outcome?.summary ?? '', /cancelled by eve during upgrade; rolled back/);
  const now = await harness.read(member);
  assert.equal(now.activeBank, before.activeBank);
  assert.equal(now.runningVersion, before.runningVersion);
  assert.equal(now.configDigest, before.configDigest);
  assert.equal(run.outcome?.runningVersion, before.runningVersion);

  // The download ran to its end; no reboot was ordered after the request; no operation is left under way.
  const operations = member.device.operations();
  assert.ok(
    operations.every((op) => op.state === 'successful' || op.state === 'failed'),
    'an operation still under way',
  );
  assert.equal(operations.find((op) => op.request.type === 'downloadSoftware')?.state, 'successful');
  assert.equal(operations.filter((op) => op.request.type === 'reboot').length, 0);
  const timeline = await harness.procedure.runs.timeline(run.id);
  const requested = only(timeline, 'cancelRequested');
  assert.equal(requested.actor, 'operator:eve');
  assert.equal(requested.phase, 'upgrade');
  const cancelled = only(timeline, 'cancelled');
  assert.equal(cancelled.actor, 'operator:eve');
  const downloadEnd = timeline.find((event) => event.kind === 'operationFinished' && event.detail.type === 'downloadSoftware');
  assert.ok(downloadEnd && downloadEnd.id > requested.id && cancelled.id > downloadEnd.id, 'the download was awaited before the run stopped');
  assert.ok(timeline.some((event) => event.phase === 'rollback' && event.kind === 'phaseSucceeded'));

  // An ended run: refused, and nothing changes.
  await assert.rejects(harness.procedure.cancel(run.id, 'operator:eve'), (error: unknown) => error instanceof CancelError && error.problem === 'ended');
  await assert.rejects(
    harness.procedure.cancel('run-999999', 'operator:eve'),
    (error: unknown) => error instanceof CancelError && error.problem === 'unknownRun',
  );
  await assert.rejects(harness.procedure.cancel(run.id, 'policy'), (error: unknown) => error instanceof CancelError && error.problem === 'badActor');
  assert.equal((await harness.procedure.runs.timeline(run.id)).length, timeline.length);
  assert.equal((await harness.procedure.runs.get(run.id))?.cancelRequestedBy, 'operator:eve');
});

test('cancelled while it waits for a decision: the wait ends at once, no decision is taken after it', async () => {
  const { member, record } = harness.devices[1]!;
  const before = await harness.read(member);
  const image = await harness.image('8.0.1');
  const started = await harness.procedure.startRun({
    deviceId: record.id,
    imageSha256: image.sha256,
    policy: { upgrade: askAtOnce },
    startedBy: 'operator:ann',
  });
  const waiting = await harness.waitFor(started.id, ['waiting']);
  assert.equal(waiting.phase, 'upgrade');
  await harness.procedure.cancel(started.id, 'operator:gus');
  await assert.rejects(harness.procedure.decide(started.id, { answer: 'retry', actor: 'operator:ann' }), NotWaitingError);
  const run = await harness.waitFor(started.id, finalStates, 60);
  assert.equal(run.state, 'rolledBack', run.outcome?.summary);
  assert.match(run.outcome?.summary ?? '', /cancelled by gus during upgrade/);
  assert.equal((await harness.procedure.runs.decisions(run.id)).length, 0);
  const now = await harness.read(member);
  assert.equal(now.activeBank, before.activeBank);
  assert.equal(now.configDigest, before.configDigest);
  assert.equal(only(await harness.procedure.runs.timeline(run.id), 'cancelled').actor, 'operator:gus');
});

test('cancelled during its backup: the backup finishes, the run ends with nothing changed', async () => {
  const { member, record } = harness.devices[2]!;
  const before = member.device.status();
  const image = await harness.image('8.0.2');
  const started = await harness.procedure.startRun({ deviceId: record.id, imageSha256: image.sha256, startedBy: 'operator:ann' });
  await runningOperation(member, 'backupConfig');
  await harness.procedure.cancel(started.id, 'operator:hal');
  const run = await harness.waitFor(started.id, finalStates);
  assert.equal(run.state, 'aborted', run.outcome?.summary);
  assert.equal(run.phase, 'backup');
  assert.match(run.outcome?.summary ?? '', /cancelled by hal during backup; nothing on the device was changed/);
  assert.deepEqual(
    member.device.operations().map((op) => [op.request.type, op.state]),
    [['backupConfig', 'successful']],
  );
  assert.deepEqual(member.device.status().banks, before.banks);
  assert.equal(member.device.status().configDigest.toString('hex'), before.configDigest.toString('hex'));
});

test('cancelled during a retry backoff: the backoff is cut short', async () => {
  const { member, record } = harness.devices[3]!;
  const image = await harness.image('8.0.3');
  const started = await harness.procedure.startRun({
    deviceId: record.id,
    imageSha256: image.sha256,
    policy: { backup: { retries: 1, backoffSeconds: 3600, then: 'abort' } },
    startedBy: 'operator:ann',
  });
  for (let waited = 0; !(await harness.procedure.runs.timeline(started.id)).some((event) => event.kind === 'retryScheduled'); waited++) {
    assert.ok(waited < 600, 'no retry was scheduled');
    await new Promise((done) => setTimeout(done, 100));
  }
  await harness.procedure.cancel(started.id, 'operator:ida');
  const run = await harness.waitFor(started.id, finalStates, 60);
  assert.equal(run.state, 'aborted', run.outcome?.summary);
  assert.match(run.outcome?.summary ?? '', /cancelled by ida during backup; nothing on the device was changed/);
  assert.equal(member.device.operations().length, 1, 'the retry never started');
});

test('retried with a corrected image: the run names the image it installs, its timeline every image tried', async () => {
  const { member, record } = harness.devices[4]!;
  const image = await harness.image('9.1.0');
  const corrected = await harness.image('9.1.1');
  const started = await harness.procedure.startRun({
    deviceId: record.id,
    imageSha256: image.sha256,
    policy: { upgrade: askAtOnce },
    startedBy: 'operator:ann',
  });
  await harness.waitFor(started.id, ['waiting']);
  assert.equal((await harness.procedure.runs.get(started.id))?.imageSha256, image.sha256);
  await harness.procedure.decide(started.id, { answer: 'retry', actor: 'operator:bob', imageSha256: corrected.sha256 });
  const run = await harness.waitFor(started.id, finalStates);
  assert.equal(run.state, 'verified', run.outcome?.summary);
  assert.equal((await harness.read(member)).runningVersion, '9.1.1');
  assert.equal(run.imageSha256, corrected.sha256);
  assert.equal((await harness.procedure.runs.list({ deviceId: record.id }))[0]?.imageSha256, corrected.sha256);
  const attempts = (await harness.procedure.runs.timeline(run.id)).filter((event) => event.phase === 'upgrade' && event.kind === 'phaseStarted');
  assert.deepEqual(
    attempts.map((event) => event.detail.image),
    [
      { sha256: image.sha256, version: '9.1.0' },
      { sha256: corrected.sha256, version: '9.1.1' },
    ],
  );
});
