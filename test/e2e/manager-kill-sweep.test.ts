// The start-up sweep for run rows left without a workflow (a manager that died between creating a run
// and starting it), against the real procedure, DBOS and virtual devices in this process. Several
// sweeps at once, as several managers sharing a database would run them, and repeated starts of the
// same run: its workflow runs once, and the device sees each operation once.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DBOS } from '@dbos-inc/dbos-sdk';
import { createRun } from '../../src/manager/procedure/start-run.ts';
import { resumeOrphanRuns, runResumedKind, type OrphanSweepLog } from '../../src/manager/startup/orphan-runs.ts';
import { DeviceStore } from '../../src/manager/store/devices.ts';
import { ImageStore } from '../../src/manager/store/images.ts';
import type { ImageRecord, RunRecord } from '../../src/manager/store/records.ts';
import { finalStates, startHarness, type Harness } from '../helpers/procedure-harness.ts';

let h: Harness;
let image: ImageRecord;
/** Per test: each run ends within the harness's own bounded waits. */
const testTimeout = { timeout: 120_000 };
const quiet: OrphanSweepLog = { info: () => {}, error: () => {} };

before(async () => {
  h = await startHarness({ devices: 3 });
  image = await h.image('1.1.0');
});

after(async () => {
  await h?.stop();
});

/** A run row exactly as startRun creates it, without starting its workflow: what a crash in between leaves. */
function orphanRun(device: number): Promise<RunRecord> {
  const pool = h.database.pool;
  return createRun({ runs: h.procedure.runs, devices: new DeviceStore(pool), images: new ImageStore(pool) }, 'upgrade', {
    deviceId: h.devices[device - 1]!.record.id,
    imageSha256: image.sha256,
    startedBy: 'operator:sweep-test',
  });
}

/** Upload names handed out for backups: every execution of a backup attempt asks for a fresh one. */
async function backupOffers(): Promise<number> {
  const result = await h.database.pool.query<{ count: string }>(`SELECT count(*) FROM safeflash.file_offers WHERE direction = 'write'`);
  return Number(result.rows[0]!.count);
}

/** The device ran exactly the operations the run's timeline says it ordered, each once. */
async function assertOperationsOnce(device: number, runId: string): Promise<void> {
  const timeline = await h.procedure.runs.timeline(runId);
  const ordered = timeline.filter((e) => e.kind === 'operationStarted').map((e) => ({ index: Number(e.detail.index), type: String(e.detail.type) }));
  const ran = h.devices[device - 1]!.member.device.operations().map((op) => ({ index: op.index, type: op.request.type }));
  const byIndex = (x: { index: number }, y: { index: number }) => x.index - y.index;
  assert.deepEqual(ran.sort(byIndex), ordered.sort(byIndex));
  assert.equal(new Set(ordered.map((o) => o.index)).size, ordered.length);
}

test('sweeps at once and repeated starts of an orphaned run: its workflow runs once and the run ends verified', testTimeout, async () => {
  const run = await orphanRun(1);
  assert.equal(await DBOS.getWorkflowStatus(run.id), null, 'no workflow: an orphan');
  const offersBefore = await backupOffers();

  const sweeps = await Promise.all([
    resumeOrphanRuns({ runs: h.store.runs, log: quiet, start: (r) => h.procedure.resume(r) }),
    resumeOrphanRuns({ runs: h.store.runs, log: quiet, start: (r) => h.procedure.resume(r) }),
    resumeOrphanRuns({ runs: h.store.runs, log: quiet, start: (r) => h.procedure.resume(r) }),
    h.procedure.resume(run),
    h.procedure.resume(run),
  ]);
  const sweepResults = sweeps.slice(0, 3) as Array<Awaited<ReturnType<typeof resumeOrphanRuns>>>;
  for (const sweep of sweepResults) assert.deepEqual(sweep.failed, []);
  // A direct start may win the race: then every sweep finds the workflow and none speaks of a resume.
  const sweepStarted = sweepResults.some((sweep) => sweep.started.includes(run.id));

  const ended = await h.waitFor(run.id, finalStates);
  assert.equal(ended.state, 'verified', JSON.stringify(ended.outcome));
  const timeline = await h.procedure.runs.timeline(run.id);
  assert.equal(timeline.filter((e) => e.kind === runResumedKind).length, sweepStarted ? 1 : 0, 'said once if a sweep started it, however many sweeps');
  assert.equal(timeline.filter((e) => e.phase === 'preflight' && e.kind === 'phaseStarted').length, 1);
  const backupAttempts = timeline.filter((e) => e.phase === 'backup' && e.kind === 'phaseStarted').length;
  assert.equal((await backupOffers()) - offersBefore, backupAttempts, 'each backup attempt executed once');
  await assertOperationsOnce(1, run.id);
  const reading = await h.read(h.devices[0]!.member);
  assert.equal(reading.runningVersion, ended.outcome?.runningVersion);
  assert.equal(reading.configDigest, ended.outcome?.configDigest);

  // Started again once it has ended: nothing happens, on the device or in the timeline. The run's
  // row says final a moment before its workflow returns: wait for the workflow too.
  await DBOS.retrieveWorkflow(run.id).getResult();
  const status = await DBOS.getWorkflowStatus(run.id);
  await h.procedure.resume(run);
  assert.equal((await DBOS.getWorkflowStatus(run.id))?.status, status?.status);
  assert.equal((await h.procedure.runs.timeline(run.id)).length, timeline.length);
  await assertOperationsOnce(1, run.id);
  assert.deepEqual(await resumeOrphanRuns({ runs: h.store.runs, log: quiet, start: (r) => h.procedure.resume(r) }), { active: 0, started: [], failed: [] });
});

test('a run started the ordinary way is left to its workflow: the sweep does not touch it', testTimeout, async () => {
  const run = await h.procedure.startRun({ deviceId: h.devices[1]!.record.id, imageSha256: image.sha256, startedBy: 'operator:sweep-test' });
  const sweep = await resumeOrphanRuns({ runs: h.store.runs, log: quiet, start: (r) => h.procedure.resume(r) });
  assert.equal(sweep.active, 1);
  assert.deepEqual(sweep.started, []);
  const ended = await h.waitFor(run.id, finalStates);
  assert.equal(ended.state, 'verified');
  assert.equal((await h.procedure.runs.timeline(run.id)).filter((e) => e.kind === runResumedKind).length, 0);
  await assertOperationsOnce(2, run.id);
});

test('a run whose workflow cannot be started is reported and started by the next sweep', testTimeout, async () => {
  const run = await orphanRun(3);
  const logged: string[] = [];
  const failing = await resumeOrphanRuns({
    runs: h.store.runs,
    log: { info: () => {}, error: (_fields, message) => logged.push(message) },
    start: async () => {
      throw new Error('the system database went away');
    },
  });
  assert.deepEqual(failing.failed, [{ runId: run.id, message: 'the system database went away' }]);
  assert.equal(logged.length, 1);
  assert.equal(await DBOS.getWorkflowStatus(run.id), null);
  assert.equal((await h.procedure.runs.get(run.id))?.state, 'running', 'still active: the next start tries again');

  const next = await resumeOrphanRuns({ runs: h.store.runs, log: quiet, start: (r) => h.procedure.resume(r) });
  assert.deepEqual(next.started, [run.id]);
  const ended = await h.waitFor(run.id, finalStates);
  assert.equal(ended.state, 'verified');
  assert.equal((await h.procedure.runs.timeline(run.id)).filter((e) => e.kind === runResumedKind).length, 1);
  await assertOperationsOnce(3, run.id);
});
