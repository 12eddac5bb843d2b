// DOCSIS cable modems upgraded end to end: the manager drives virtual modems through RFC 4639's
// docsDevSoftware objects only (no operation rows, no banks, no configuration), over real SNMP and TFTP
// on loopback, with the modem rebooting by itself. Each scenario takes its own modem.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FaultPlan } from '../../src/agent/faults.ts';
import { docsisPersonality } from '../../src/families/docsis/personality.ts';
import type { RunEvent } from '../../src/manager/store/records.ts';
import { finalStates, type Harness, type Scenario, startHarness, startScenarios } from '../helpers/procedure-harness.ts';

const modemModel = 'CM-3200';
const small = { retries: 2, backoffSeconds: 0.2, then: 'abort' as const };
const policy = { backup: small, upgrade: small, migrate: small, restore: small };

const faults: Record<number, FaultPlan> = {
  // 1: a clean modem.
  2: { failDownloads: { count: 1, cause: 'transferTimeout' } },
  3: { failBoots: 1 },
  4: { dropNotifications: 1 },
  // The power goes halfway through the download and comes back: the modem starts the download again.
  5: { powerLoss: { operation: 'downloadSoftware', percent: 40, powerOffMs: 300, count: 1 } },
  // 6: a modem whose image never boots (all attempts).
  6: { failBoots: 5 },
};

let harness: Harness;
/** Every scenario's run, started together: the modems are independent. */
let runs: Map<number, Promise<Scenario>>;
const versions: Record<number, string> = { 1: '2.0.0', 2: '2.0.1', 3: '2.0.2', 4: '2.0.3', 5: '2.0.4', 6: '2.0.5' };

before(async () => {
  harness = await startHarness({
    devices: 6,
    faults: (n) => faults[n] ?? {},
    kindOf: (_n, lab) => ({
      family: 'docsis',
      personality: docsisPersonality({ tftpPort: lab.tftpPort }),
      model: modemModel,
      software: lab.softwareFor(modemModel),
    }),
  });
  runs = startScenarios(harness, versions, { model: modemModel, family: 'docsis' }, policy);
});

after(async () => {
  await harness?.stop();
});

const kinds = (timeline: RunEvent[], kind: RunEvent['kind']) => timeline.filter((event) => event.kind === kind);

test('a clean upgrade: the modem downloads, reboots by itself and reports the new version; backup and restore are recorded as not applying', async () => {
  const { before, run, timeline, now } = await runs.get(1)!;
  assert.equal(run.state, 'verified', run.outcome?.summary);
  assert.equal(before.runningVersion, '1.0.0');
  assert.equal(now.runningVersion, '2.0.0');
  assert.equal(now.activeBank, null);
  assert.deepEqual(
    kinds(timeline, 'phaseSkipped').map((event) => event.phase),
    ['backup', 'restore'],
  );
  const plan = kinds(timeline, 'plan')[0];
  assert.match(plan?.message ?? '', /backup, migrate and restore do not apply/);
  assert.match(plan?.message ?? '', /reboots by itself/);
  // No reboot was ordered: the only operation is the download.
  assert.deepEqual(
    kinds(timeline, 'operationStarted').map((event) => event.detail?.type),
    ['downloadSoftware'],
  );
  assert.equal(run.outcome?.backupSha256, null);
  assert.match(run.outcome?.summary ?? '', /version verified/);
});

test('a failed image download is retried and the run finishes', async () => {
  const { run, timeline, now } = await runs.get(2)!;
  assert.equal(run.state, 'verified', run.outcome?.summary);
  assert.equal(now.runningVersion, '2.0.1');
  assert.equal(kinds(timeline, 'retryScheduled').filter((event) => event.phase === 'upgrade').length, 1);
  // The modem's failure came by its fail notification or its failed OperStatus.
  assert.equal(kinds(timeline, 'operationFinished').filter((event) => event.cause !== null).length, 1);
});

test('an image that does not boot: the modem comes back on its old software, the run says so and tries again', async () => {
  const { run, timeline, now } = await runs.get(3)!;
  assert.equal(run.state, 'verified', run.outcome?.summary);
  assert.equal(now.runningVersion, '2.0.2');
  const failed = kinds(timeline, 'phaseFailed').find((event) => event.phase === 'upgrade');
  assert.ok(failed, 'the failed attempt is in the timeline');
  // The modem's own report (new software did not start), the manager's read-back (still 1.0.0), or, when
  // the manager polls before the notification reaches it (a busy machine), the modem's failed OperStatus.
  assert.match(failed.message, /did not start|still runs 1\.0\.0|fell back|the modem reports the upgrade to \S+ failed/);
});

test('an image that never boots: the run ends failed, the modem still runs its old software, and nothing pretends to revert', async () => {
  const { run, timeline, now } = await runs.get(6)!;
  assert.notEqual(run.state, 'verified');
  assert.equal(now.runningVersion, '1.0.0');
  assert.equal(kinds(timeline, 'operationStarted').filter((event) => event.detail?.type === 'revertSoftware').length, 0);
});

test('every notification lost: polling the modem finishes the upgrade', async () => {
  const { run, timeline, now } = await runs.get(4)!;
  assert.equal(run.state, 'verified', run.outcome?.summary);
  assert.equal(now.runningVersion, '2.0.3');
  assert.ok(kinds(timeline, 'pollingFallback').length >= 1);
});

test('a power cut mid-download: the modem starts the download again when it is back, and the run finishes', async () => {
  const { run, now } = await runs.get(5)!;
  assert.equal(run.state, 'verified', run.outcome?.summary);
  assert.equal(now.runningVersion, '2.0.4');
});

test('an on-demand backup of a modem stops at once and says why: its configuration comes from provisioning', async () => {
  await runs.get(1);
  const { record } = harness.devices[0]!;
  const { runId } = await harness.procedure.startBackup({ deviceId: record.id, startedBy: 'operator:tester' });
  const run = await harness.waitFor(runId, finalStates);
  assert.equal(run.state, 'failed');
  assert.match(run.outcome?.summary ?? '', /notSupported: .*provisioning.*nothing on the device was changed/);
  const timeline = await harness.procedure.runs.timeline(runId);
  assert.equal(kinds(timeline, 'operationStarted').length, 0);
});

test("the reference IAD's own image is refused for a modem before anything is sent: a modem takes its vendor's file in a manifest", async () => {
  await runs.get(1);
  const { record } = harness.devices[0]!;
  const image = await harness.image('9.9.9', { model: modemModel });
  await assert.rejects(
    harness.procedure.startRun({ deviceId: record.id, imageSha256: image.sha256, policy, startedBy: 'operator:tester' }),
    /is for safeflash devices; device docsis-1 is a docsis device/,
  );
});
