// Upgrade runs end to end against real virtual devices (SNMP, TFTP, notifications on loopback) with a
// real embedded PostgreSQL and DBOS: every branch of the procedure, each checked against what the
// device itself reports afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FaultPlan } from '../../src/agent/faults.ts';
import type { RunEvent } from '../../src/manager/store/records.ts';
import { finalStates, startHarness, type Harness } from '../helpers/procedure-harness.ts';

const small = { retries: 2, backoffSeconds: 0.2, then: 'abort' as const };
const policy = { backup: small, upgrade: small, migrate: small, restore: small };

// Device n's faults; each test takes its own device.
const faults: Record<number, FaultPlan> = {
  2: { failBackups: { count: 1, cause: 'serverUnreachable' } },
  3: { failDownloads: { count: 1, cause: 'transferTimeout' } },
  4: { failBoots: 1 },
  5: { rejectConfigFormat: 1 },
  6: { dropNotifications: 1 },
  // 7: a clean device for the migration.
  // The power goes at the start of the backup and stays off far longer than the backup may take.
  8: { powerLoss: { operation: 'backupConfig', percent: 0, powerOffMs: 600_000, count: 1 } },
  // The power goes as the reboot begins; the device comes back on the new bank, though the reboot's row says powerLoss.
  9: { powerLoss: { operation: 'reboot', percent: 0, powerOffMs: 200, count: 1 } },
};

let harness: Harness;

before(async () => {
  harness = await startHarness({ devices: 9, faults: (n) => faults[n] ?? {}, timeouts: { backupSeconds: 4 } });
});

after(async () => {
  await harness?.stop();
});

function kinds(timeline: RunEvent[], kind: RunEvent['kind']): RunEvent[] {
  return timeline.filter((event) => event.kind === kind);
}

async function upgrade(device: number, version: string, configFormat = 1, runPolicy = policy) {
  const { member, record } = harness.devices[device - 1]!;
  const before = await harness.read(member);
  const image = await harness.image(version, { configFormat });
  const started = await harness.procedure.startRun({ deviceId: record.id, imageSha256: image.sha256, policy: runPolicy, startedBy: 'operator:tester' });
  const run = await harness.waitFor(started.id, finalStates);
  const timeline = await harness.procedure.runs.timeline(run.id);
  const now = await harness.read(member);
  return { member, record, before, run, timeline, now };
}

test('happy path: backup, upgrade, restore, verify; the device agrees with the report', async () => {
  const { run, timeline, before, now } = await upgrade(1, '2.0.0');
  assert.equal(run.state, 'verified', run.outcome?.summary);
  assert.equal(now.runningVersion, '2.0.0');
  assert.notEqual(now.activeBank, before.activeBank);
  assert.equal(now.previousVersion, before.runningVersion);
  assert.equal(now.configDigest, before.configDigest);
  assert.equal(run.outcome?.runningVersion, now.runningVersion);
  assert.equal(run.outcome?.configDigest, now.configDigest);
  assert.equal(run.outcome?.keptNewSoftware, true);
  const phases = kinds(timeline, 'phaseSucceeded').map((event) => event.phase);
  assert.deepEqual(phases, ['preflight', 'backup', 'upgrade', 'restore', 'verify']);
  assert.equal(kinds(timeline, 'phaseFailed').length, 0);
  assert.equal(kinds(timeline, 'runEnded').length, 1);
});

function failures(timeline: RunEvent[], phase: RunEvent['phase']): Array<string | null> {
  return kinds(timeline, 'phaseFailed')
    .filter((event) => event.phase === phase)
    .map((event) => event.cause);
}

test('a failed backup is retried and the run goes on', async () => {
  const { run, timeline, now } = await upgrade(2, '2.0.1');
  assert.equal(run.state, 'verified', run.outcome?.summary);
  assert.deepEqual(failures(timeline, 'backup'), ['serverUnreachable']);
  const retry = kinds(timeline, 'retryScheduled')[0];
  assert.equal(retry?.actor, 'policy');
  assert.equal(retry?.phase, 'backup');
  assert.equal(now.runningVersion, '2.0.1');
});

test('a backup that times out on a silent device stops the run; nothing on the device changed', async () => {
  const { member, record } = harness.devices[7]!;
  const before = await harness.read(member);
  const image = await harness.image('2.0.8');
  const started = await harness.procedure.startRun({
    deviceId: record.id,
    imageSha256: image.sha256,
    policy: { backup: { retries: 0, backoffSeconds: 0, then: 'abort' } },
    startedBy: 'operator:tester',
  });
  const run = await harness.waitFor(started.id, finalStates);
  const timeline = await harness.procedure.runs.timeline(run.id);
  assert.equal(run.state, 'failed', run.outcome?.summary);
  assert.equal(run.phase, 'backup');
  assert.deepEqual(failures(timeline, 'backup'), ['silent']);
  assert.equal(run.outcome?.backupSha256, null);
  assert.equal(kinds(timeline, 'operationStarted').filter((event) => event.phase === 'upgrade').length, 0);
  await member.device.start(); // power back on now rather than in ten minutes
  const now = await harness.read(member);
  assert.equal(now.runningVersion, before.runningVersion);
  assert.equal(now.activeBank, before.activeBank);
  assert.deepEqual(now.banks, before.banks);
  assert.equal(now.configDigest, before.configDigest);
});

test('a failed download leaves nothing to revert; the retry succeeds', async () => {
  const { run, timeline, before, now } = await upgrade(3, '2.0.2');
  assert.equal(run.state, 'verified', run.outcome?.summary);
  assert.deepEqual(failures(timeline, 'upgrade'), ['transferTimeout']);
  const reverts = kinds(timeline, 'revert');
  assert.deepEqual(
    reverts.map((event) => event.cause),
    ['nothingToRevert'],
  );
  assert.equal(now.runningVersion, '2.0.2');
  assert.equal(now.previousVersion, before.runningVersion);
  assert.equal(now.configDigest, before.configDigest);
});

test('new software that does not boot: the device falls back, the run reports it and retries', async () => {
  const { run, timeline, before, now } = await upgrade(4, '2.0.3');
  assert.equal(run.state, 'verified', run.outcome?.summary);
  const failed = kinds(timeline, 'phaseFailed').filter((event) => event.phase === 'upgrade');
  assert.equal(failed.length, 1);
  assert.equal(failed[0]!.cause, 'bootFailed');
  assert.match(failed[0]!.message, /fell back/);
  assert.deepEqual(
    kinds(timeline, 'revert').map((event) => event.cause),
    ['nothingToRevert'],
  );
  assert.equal(kinds(timeline, 'retryScheduled').filter((event) => event.phase === 'upgrade').length, 1);
  assert.equal(now.runningVersion, '2.0.3');
  assert.notEqual(now.activeBank, before.activeBank);
  assert.equal(now.configDigest, before.configDigest);
});

test('software that reads configuration format 2: the backup is migrated, restored and verified; the original is kept', async () => {
  const { run, timeline, before, now, record } = await upgrade(7, '3.0.0', 2);
  assert.equal(run.state, 'verified', run.outcome?.summary);
  assert.equal(before.configFormat, 1);
  assert.equal(now.configFormat, 2);
  assert.equal(now.runningVersion, '3.0.0');
  assert.equal(run.outcome?.configDigest, now.configDigest);
  const migration = kinds(timeline, 'migration')[0];
  assert.ok(migration, 'a migration event');
  const backups = await harness.files.listBackups(record.id);
  const original = backups.find((backup) => backup.sha256 === run.outcome?.backupSha256);
  const migrated = backups.find((backup) => backup.kind === 'migrated' && backup.derivedFrom === original?.sha256);
  assert.equal(original?.kind, 'backup');
  assert.equal(original?.configFormat, 1);
  assert.equal(original?.configDigest, before.configDigest);
  assert.equal(migrated?.configFormat, 2);
  assert.equal(migrated?.configDigest, now.configDigest);
  assert.equal(migration!.detail.to, migrated?.sha256);
});

test('a restore the device refuses for its format is migrated again and retried', async () => {
  const { run, timeline, now } = await upgrade(5, '3.0.1', 2);
  assert.equal(run.state, 'verified', run.outcome?.summary);
  assert.deepEqual(failures(timeline, 'restore'), ['configFormatMismatch']);
  const migrations = kinds(timeline, 'migration');
  assert.equal(migrations.length, 2);
  assert.match(migrations[1]!.message, /re-migrated/);
  assert.equal(migrations[1]!.phase, 'restore');
  assert.equal(now.configFormat, 2);
  assert.equal(now.configDigest, run.outcome?.configDigest);
});

test('with every notification lost, polling the operation rows still finishes the run', async () => {
  const { run, timeline, before, now } = await upgrade(6, '2.0.4');
  assert.equal(run.state, 'verified', run.outcome?.summary);
  const finished = kinds(timeline, 'operationFinished');
  assert.ok(finished.length >= 4);
  assert.ok(finished.every((event) => event.detail.via === 'polling'));
  assert.equal(kinds(timeline, 'pollingFallback').length, finished.length);
  assert.equal(now.runningVersion, '2.0.4');
  assert.equal(now.configDigest, before.configDigest);
});

test('a power cut during the reboot: the device came back on the new software, so the run goes on without a revert or a second download', async () => {
  const { run, timeline, before, now } = await upgrade(9, '2.0.5');
  assert.equal(run.state, 'verified', run.outcome?.summary);
  assert.deepEqual(failures(timeline, 'upgrade'), []);
  const reboot = kinds(timeline, 'operationFinished').find((event) => event.detail.type === 'reboot');
  assert.equal(reboot?.cause, 'powerLoss');
  const confirmed = kinds(timeline, 'bootConfirmed');
  assert.equal(confirmed.length, 1);
  assert.equal(confirmed[0]?.cause, 'powerLoss');
  assert.equal(kinds(timeline, 'revert').length, 0);
  const started = kinds(timeline, 'operationStarted').map((event) => event.detail.type);
  assert.equal(started.filter((type) => type === 'revertSoftware').length, 0);
  assert.equal(started.filter((type) => type === 'downloadSoftware').length, 1);
  assert.equal(started.filter((type) => type === 'reboot').length, 1);
  assert.equal(now.runningVersion, '2.0.5');
  assert.notEqual(now.activeBank, before.activeBank);
  assert.equal(now.previousVersion, before.runningVersion);
  assert.equal(now.configDigest, before.configDigest);
});
