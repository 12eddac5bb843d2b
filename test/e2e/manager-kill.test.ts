// The manager is SIGKILLed mid-run and restarted on the same data directory: killed once while one
// run backs up and another waits for an operator, killed again while the first downloads its image
// (and with a run row left behind without its workflow, as a crash between creating a run and starting
// it would leave it); a staged run waits through both kills and is activated after them. Every run
// resumes and ends verified; each device reads back what its run reports; and no operation was started
// twice on any device. The devices live in this process, so they outlive
// every manager; the managers are real `safeflash serve` processes.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import type { Fleet, FleetMember } from '../../src/agent/fleet.ts';
import type { OperationType } from '../../src/protocol/vocabulary.ts';
import { vendorKeyPrefix } from '../../src/agent/vendor-key.ts';
import { createRun } from '../../src/manager/procedure/start-run.ts';
import { runResumedKind } from '../../src/manager/startup/orphan-runs.ts';
import { DeviceStore } from '../../src/manager/store/devices.ts';
import { ImageStore } from '../../src/manager/store/images.ts';
import type { RunEvent, RunRecord } from '../../src/manager/store/records.ts';
import { RunStore } from '../../src/manager/store/runs.ts';
import { packImage } from '../../src/protocol/image.ts';
import { keyPairFiles, readPrivateKey } from '../../src/protocol/keys.ts';
import { runCli, startServe, type ServeProcess } from '../helpers/cli-process.ts';
import {
  killLab,
  killPostgres,
  labModel,
  managerDatabase,
  postgresPids,
  readLabDevice,
  restartableServeArgs,
  runningOperation,
  startLabFleet,
  waitFor,
} from '../helpers/kill-manager.ts';

const model = labModel;
const lab = killLab('sf-kill-', 9);
const { dir, dataDir, third, devicePort, address, deviceName, credentials } = lab;
/** Slow enough that a kill lands inside the operation; the pause is per tenth of the file. */
const slowStepMs = 600;
const waitMs = 60_000;
/** Per test: a few manager starts and waits, each bounded on its own. */
const testTimeout = { timeout: 180_000 };

// Device 1: run A, slowed, killed during its backup and its download. Device 2: run D, the run row left
// without a workflow. Device 3: run C, whose new software fails to boot once; it asks and waits. Device
// 4: run S, staged before the first kill, activated after the second.
const backupAndDownload = 1;
const orphaned = 2;
const asking = 3;
const staged = 4;

interface RunDetail {
  run: RunRecord;
  timeline: RunEvent[];
}

let fleet: Fleet;
let serveArgs: string[];
let manager: ServeProcess | undefined;
let pool: pg.Pool | undefined;
let imageSha256: string;
const runIds = new Map<number, string>();

/** The run started on device n by an earlier test. */
function runOf(n: number): string {
  const id = runIds.get(n);
  if (!id) throw new Error(`no run was started on device ${n}`);
  return id;
}

const cli = (...args: string[]) => runCli(args, { env: manager!.env, timeoutMs: 60_000 });

async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${manager!.url}${path}`, {
    method,
    signal: AbortSignal.timeout(10_000),
    headers: { authorization: `Bearer ${manager!.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

const runDetail = (runId: string) => api<RunDetail>('GET', `/api/runs/${runId}`);

function member(n: number): FleetMember {
  return fleet.members[n - 1]!;
}

const operationUnderWay = (n: number, type: OperationType) => runningOperation(fleet!, n, type);

async function startRun(n: number, policy: object, options: object = {}): Promise<string> {
  const run = await api<RunRecord>('POST', '/api/runs', { device: deviceName(n), image: imageSha256, policy, operator: 'kill-test', ...options });
  return run.id;
}

async function untilState(runId: string, states: string[], timeoutMs = waitMs): Promise<RunDetail> {
  return waitFor(
    `run ${runId} to be ${states.join(' or ')}`,
    async () => {
      const detail = await runDetail(runId);
      return states.includes(detail.run.state) ? detail : undefined;
    },
    timeoutMs,
    250,
  );
}

/** SIGKILL: nothing of the manager's orderly stop runs, its PostgreSQL is left running. */
async function killManager(): Promise<void> {
  const killed = manager!;
  manager = undefined;
  await pool?.end();
  pool = undefined;
  await killed.stop('SIGKILL');
}

const readDevice = (n: number) => readLabDevice(lab, n);

before(async () => {
  fleet = await startLabFleet({
    dir,
    devices: 4,
    baseAddress: address(1),
    port: devicePort,
    faults: (n) => (n === backupAndDownload ? { slowTransfers: { stepDelayMs: slowStepMs } } : n === asking ? { failBoots: 1 } : {}),
  });
  // Fixed ports: devices are told where to send notifications and where to fetch files, and a
  // restarted manager must be found there again.
  serveArgs = await restartableServeArgs(lab, false);
  manager = await startServe(serveArgs);
  const discovered = await cli('device', 'discover', `127.9.${third}.0/29`, '--port', String(devicePort), '--timeout-ms', '300', ...credentials);
  assert.equal(discovered.code, 0, discovered.stderr);
  assert.match(discovered.stdout, /4 devices answered \(4 added/);
  const key = readPrivateKey(keyPairFiles(vendorKeyPrefix(join(dir, 'vendor'))).privateKeyFile);
  const file = join(dir, 'new.sfimg');
  writeFileSync(file, packImage({ model, version: '1.1.0', configFormat: 2 }, Buffer.from('software 1.1.0'), key));
  const added = await cli('image', 'add', file, '--json');
  assert.equal(added.code, 0, added.stderr);
  imageSha256 = (JSON.parse(added.stdout) as { sha256: string }).sha256;
});

after(async () => {
  await pool?.end().catch(() => undefined);
  await manager?.stop('SIGKILL');
  await killPostgres(dataDir);
  await fleet?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('killed while one run backs up and another waits for an operator: restarted, both carry on', testTimeout, async () => {
  // Run C asks after its new software fails to boot, and waits.
  runIds.set(asking, await startRun(asking, { upgrade: { retries: 0, then: 'ask' } }));
  await untilState(runOf(asking), ['waiting']);
  // Run S: staged, waiting for its activation.
  runIds.set(staged, await startRun(staged, {}, { stage: true }));
  await untilState(runOf(staged), ['staged']);
  // Run A: short backoffs, so that an operation the kill made fail is retried at once.
  runIds.set(
    backupAndDownload,
    await startRun(backupAndDownload, { backup: { backoffSeconds: 1 }, upgrade: { backoffSeconds: 1 }, restore: { backoffSeconds: 1 } }),
  );
  await waitFor('the backup under way on device 1', () => operationUnderWay(backupAndDownload, 'backupConfig'), waitMs);

  await killManager();
  const left = postgresPids(dataDir);
  assert.ok(left.length > 0, 'the killed manager left its PostgreSQL running');
  manager = await startServe(serveArgs);
  assert.deepEqual(
    postgresPids(dataDir).filter((pid) => left.includes(pid)),
    [],
    'the PostgreSQL left behind was stopped, a new one serves',
  );

  const asked = await runDetail(runOf(asking));
  assert.equal(asked.run.state, 'waiting', 'the run still waits for its operator');
  assert.equal(asked.timeline.filter((e) => e.kind === 'askedOperator').length, 1, 'the question was asked once');
  const stagedRun = await runDetail(runOf(staged));
  assert.equal(stagedRun.run.state, 'staged', 'the staged run still waits for its activation');
  assert.equal(stagedRun.timeline.filter((e) => e.kind === 'staged').length, 1, 'staged once');
  const resumed = await waitFor(
    'run A past its backup',
    async () => {
      const detail = await runDetail(runOf(backupAndDownload));
      return detail.timeline.some((e) => e.phase === 'backup' && e.kind === 'phaseSucceeded') ? detail : undefined;
    },
    waitMs,
  );
  assert.equal(resumed.run.state, 'running');
});

test('killed while a run downloads its image, with a run row left without its workflow', testTimeout, async () => {
  // A run row as a manager that died between creating the run and starting its workflow leaves it:
  // made by the same code as startRun, without the start. This manager swept at its start, so the
  // row waits for the next one.
  pool = managerDatabase(dataDir);
  const stores = { runs: new RunStore(pool), devices: new DeviceStore(pool), images: new ImageStore(pool) };
  const device = await api<{ id: number }>('GET', `/api/devices/${encodeURIComponent(deviceName(orphaned))}`);
  const orphan = await createRun(stores, 'upgrade', { deviceId: device.id, imageSha256, startedBy: 'operator:kill-test' });
  runIds.set(orphaned, orphan.id);
  assert.equal((await runDetail(orphan.id)).run.state, 'running');

  await waitFor('the image download under way on device 1', () => operationUnderWay(backupAndDownload, 'downloadSoftware'), waitMs);
  await killManager();
  manager = await startServe(serveArgs);
  // The rest of run A need not be slow.
  member(backupAndDownload).device.setFaults({});

  const orphanDetail = await untilState(orphan.id, ['verified', 'failed', 'rolledBack', 'aborted']);
  assert.equal(orphanDetail.run.state, 'verified', JSON.stringify(orphanDetail.run.outcome));
  const resumedEvents = orphanDetail.timeline.filter((e) => e.kind === runResumedKind);
  assert.equal(resumedEvents.length, 1, 'one event says the manager started the run');
  assert.equal(resumedEvents[0]!.actor, 'manager');
  assert.ok(orphanDetail.timeline.findIndex((e) => e.kind === runResumedKind) < orphanDetail.timeline.findIndex((e) => e.kind === 'phaseStarted'));
});

test('after the restarts every run ends verified; the run waiting for its operator finishes after `decide retry`', testTimeout, async () => {
  const a = await untilState(runOf(backupAndDownload), ['verified', 'failed', 'rolledBack', 'aborted']);
  assert.equal(a.run.state, 'verified', JSON.stringify(a.run.outcome));

  assert.equal((await runDetail(runOf(asking))).run.state, 'waiting', 'still waiting after a second kill');
  const decided = await cli('decide', runOf(asking), 'retry', '--operator', 'alice');
  assert.equal(decided.code, 0, decided.stdout + decided.stderr);
  const c = await untilState(runOf(asking), ['verified', 'failed', 'rolledBack', 'aborted']);
  assert.equal(c.run.state, 'verified', JSON.stringify(c.run.outcome));

  assert.equal((await runDetail(runOf(staged))).run.state, 'staged', 'still staged after a second kill');
  assert.notEqual((await readDevice(staged)).runningVersion, '1.1.0', 'staged: not activated by a restart');
  const activated = await cli('activate', deviceName(staged), '--operator', 'alice');
  assert.equal(activated.code, 0, activated.stdout + activated.stderr);
  const s = await untilState(runOf(staged), ['verified', 'failed', 'rolledBack', 'aborted']);
  assert.equal(s.run.state, 'verified', JSON.stringify(s.run.outcome));
});

test('each device reads back what its run reports, and no operation was started twice', testTimeout, async () => {
  for (const n of [backupAndDownload, orphaned, asking, staged]) {
    const { run, timeline } = await runDetail(runOf(n));
    const reading = await readDevice(n);
    assert.equal(reading.runningVersion, '1.1.0', `device ${n}`);
    assert.equal(run.outcome?.runningVersion, reading.runningVersion, `device ${n}`);
    assert.equal(run.outcome?.configDigest, reading.configDigest, `device ${n}`);

    // The device's own table: every operation it ever ran (one run per device here).
    const operations = member(n).device.operations();
    const indexes = operations.map((op) => op.index);
    assert.equal(new Set(indexes).size, indexes.length, `device ${n}: an index twice`);
    assert.ok(
      operations.every((op) => op.state === 'successful' || op.state === 'failed'),
      `device ${n}: an operation still under way`,
    );
    // Exactly the operations the run recorded ordering, each ordered once.
    const ordered = timeline.filter((e) => e.kind === 'operationStarted').map((e) => ({ index: Number(e.detail.index), type: String(e.detail.type) }));
    assert.equal(new Set(ordered.map((o) => o.index)).size, ordered.length, `device ${n}: an order recorded twice`);
    assert.deepEqual(
      operations.map((op) => ({ index: op.index, type: op.request.type })).sort((x, y) => x.index - y.index),
      ordered.sort((x, y) => x.index - y.index),
      `device ${n}: the device ran other operations than the run ordered`,
    );
    // One download (or staging, or activation) and one backup per attempt of its phase, as the timeline counts them.
    const attempts = (phase: string) => timeline.filter((e) => e.phase === phase && e.kind === 'phaseStarted').length;
    const count = (type: OperationType) => operations.filter((op) => op.request.type === type).length;
    assert.equal(
      count('downloadSoftware') + count('stageSoftware') + count('activateSoftware'),
      attempts('upgrade'),
      `device ${n}: downloads vs upgrade attempts`,
    );
    assert.equal(count('backupConfig'), attempts('backup'), `device ${n}: backups vs backup attempts`);
  }
});

test('stopped: the manager exits cleanly and no PostgreSQL of its data directory remains', testTimeout, async () => {
  const stopping = manager!;
  manager = undefined;
  assert.equal(await stopping.stop('SIGTERM'), 0, stopping.stderr());
  assert.deepEqual(postgresPids(dataDir), []);
});
