// Several managers on one shared PostgreSQL server (`safeflash serve --database-url`). Manager A drives
// an upgrade; manager B starts on the same database meanwhile, with its own data directory and ports.
// B's start must not take A's run (DBOS's record of the run's workflow keeps A's executor ID, and the
// device ran each operation once); B sees the same inventory and runs. The manager that holds a run,
// SIGKILLed mid-download, is taken over by the other without an operator, and once restarted does not
// run what was taken from it. B upgrades a device with an image only A received. And a second manager
// on a data directory whose embedded database a live manager holds is refused, naming that process.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Fleet, FleetMember } from '../../src/agent/fleet.ts';
import type { OperationType } from '../../src/protocol/vocabulary.ts';
import { vendorKeyPrefix } from '../../src/agent/vendor-key.ts';
import type { DeviceRecord, ImageRecord, RunRecord } from '../../src/manager/store/records.ts';
import { packImage } from '../../src/protocol/image.ts';
import { keyPairFiles, readPrivateKey } from '../../src/protocol/keys.ts';
import { runCli, startServe, type ServeProcess } from '../helpers/cli-process.ts';
import { killPostgres, labModel, managerServeArgs, runningOperation, startLabFleet, waitFor } from '../helpers/kill-manager.ts';
import { finalRunStates, ManagerApi, tapEvents, type RunDetail } from '../helpers/shared-database-api.ts';
import { executorIdFile, startSharedPostgres, workflowRow, type SharedPostgres } from '../helpers/shared-database-postgres.ts';
import { testUser } from '../helpers/snmp-device.ts';

const model = labModel;
const dir = mkdtempSync(join(tmpdir(), 'sf-shared-db-'));
// As root PostgreSQL runs as another user, who must be able to enter every directory above its cluster.
chmodSync(dir, 0o755);
const third = 1 + Math.floor(Math.random() * 250);
const devicePort = 20000 + Math.floor(Math.random() * 20000);
const address = (n: number) => `127.11.${third}.${n}`;
const deviceName = (n: number) => `${address(n)}:${devicePort}`;
/** Slow enough that the run is still under way when the second manager has started; the pause is per tenth of the file. */
const slowStepMs = 400;
const waitMs = 60_000;
const testTimeout = { timeout: 120_000 };

// Device 1: the run that manager B starts beside. Device 2: the run during which A is killed.
// Device 3: a run started on B.
const besideB = 1;
const killedA = 2;
const onB = 3;

/** Heartbeats and the silence after which the surviving manager takes over, short for the test. */
const heartbeatSeconds = 1;
const deadAfterSeconds = 4;

let postgres: SharedPostgres | undefined;
let fleet: Fleet | undefined;
let argsA: string[];
let argsB: string[] | undefined;
let managerA: ServeProcess | undefined;
let managerB: ServeProcess | undefined;
/** A manager on the embedded database, for the last test. */
let embedded: { dataDir: string; manager: ServeProcess | undefined } | undefined;
let imageSha256: string;
const runIds = new Map<number, string>();
const apiA = new ManagerApi(() => managerA ?? assert.fail('manager A is not running'));
const apiB = new ManagerApi(() => managerB ?? assert.fail('manager B is not running'));

function runOf(n: number): string {
  return runIds.get(n) ?? assert.fail(`no run was started on device ${n}`);
}

function member(n: number): FleetMember {
  return fleet!.members[n - 1]!;
}

const operationUnderWay = (n: number, type: OperationType) => runningOperation(fleet!, n, type);

const dataDirA = join(dir, 'manager-a');
const dataDirB = join(dir, 'manager-b');
const executorIdOf = (dataDir: string) => readFileSync(executorIdFile(dataDir), 'utf8').trim();

/** The ports of one manager, on its own loopback address; fixed, so that a restart takes them again. */
function managerArgs(managerAddress: string, dataDir: string, databaseUrl: string | undefined): Promise<string[]> {
  return managerServeArgs({
    at: managerAddress,
    dataDir,
    vendorDir: join(dir, 'vendor'),
    ...(databaseUrl ? { shared: { databaseUrl, heartbeatSeconds, deadAfterSeconds } } : {}),
  });
}

/**
 * What the device itself recorded agrees with the run: no operation index twice, nothing left under
 * way, and one image download per upgrade attempt the run's timeline counts.
 */
function assertOperationsOnce(n: number, detail: RunDetail): void {
  const operations = member(n).device.operations();
  const indexes = operations.map((op) => op.index);
  assert.equal(new Set(indexes).size, indexes.length, `device ${n}: an operation index twice: ${indexes.join(', ')}`);
  assert.ok(
    operations.every((op) => op.state === 'successful' || op.state === 'failed'),
    `device ${n}: an operation still under way`,
  );
  const upgradeAttempts = detail.timeline.filter((e) => e.phase === 'upgrade' && e.kind === 'phaseStarted').length;
  const downloads = operations.filter((op) => op.request.type === 'downloadSoftware').length;
  assert.ok(upgradeAttempts >= 1, `device ${n}: the run never reached its upgrade`);
  assert.equal(downloads, upgradeAttempts, `device ${n}: downloads vs upgrade attempts`);
}

/** The run's workflow row once the workflow has returned (just after the run's last step ended the run). */
function finishedWorkflow(runId: string) {
  return waitFor(
    `the workflow of run ${runId} to succeed`,
    async () => {
      const row = await workflowRow(postgres!.pool, runId);
      return row?.status === 'SUCCESS' ? row : undefined;
    },
    waitMs,
  );
}

async function startRun(n: number): Promise<string> {
  const run = await apiA.call<RunRecord>('POST', '/api/runs', {
    device: deviceName(n),
    image: imageSha256,
    // Short backoffs: an operation the kill made fail is retried at once.
    policy: { backup: { backoffSeconds: 1 }, upgrade: { backoffSeconds: 1 }, restore: { backoffSeconds: 1 } },
    operator: 'shared-database-test',
  });
  runIds.set(n, run.id);
  return run.id;
}

before(async () => {
  postgres = await startSharedPostgres(join(dir, 'shared-postgres'), 'fleet_managers');
  fleet = await startLabFleet({ dir, devices: 3, baseAddress: address(1), port: devicePort, faults: () => ({ slowTransfers: { stepDelayMs: slowStepMs } }) });
  argsA = await managerArgs(`127.11.${third}.200`, dataDirA, postgres.url);
  managerA = await startServe(argsA);

  for (const n of [besideB, killedA, onB]) {
    await apiA.call<DeviceRecord>('POST', '/api/devices', {
      address: address(n),
      port: devicePort,
      v3User: testUser.name,
      authKey: testUser.authKey,
      privKey: testUser.privKey,
    });
  }
  const key = readPrivateKey(keyPairFiles(vendorKeyPrefix(join(dir, 'vendor'))).privateKeyFile);
  const image = await apiA.call<ImageRecord>(
    'POST',
    '/api/images',
    packImage({ model, version: '1.1.0', configFormat: 2 }, Buffer.from('software 1.1.0'), key),
  );
  imageSha256 = image.sha256;
});

after(async () => {
  await managerA?.stop('SIGKILL');
  await managerB?.stop('SIGKILL');
  await embedded?.manager?.stop('SIGKILL');
  if (embedded) await killPostgres(embedded.dataDir);
  await fleet?.stop();
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('manager B started while A upgrades a device leaves the run to A; the run ends verified', testTimeout, async () => {
  const runId = await startRun(besideB);
  await waitFor('the backup under way on device 1', () => operationUnderWay(besideB, 'backupConfig'), waitMs);

  argsB = await managerArgs(`127.11.${third}.201`, dataDirB, postgres!.url);
  managerB = await startServe(argsB);
  const executorA = executorIdOf(dataDirA);
  assert.notEqual(executorIdOf(dataDirB), executorA, 'each manager has its own executor ID');
  // B is up while the run is still under way: its start had the chance to take the run.
  const dashboardOnB = await tapEvents(managerB);
  assert.equal((await apiB.run(runId)).run.state, 'running', 'the run was still under way when B had started');
  assert.deepEqual(await workflowRow(postgres!.pool, runId), { executorId: executorA, status: 'PENDING' });

  // Either manager reads the run: both read the same database.
  const done = await apiB.untilState(runId, finalRunStates, waitMs);
  assert.equal(done.run.state, 'verified', JSON.stringify(done.run.outcome));
  // B's dashboard followed A's run live, to its end.
  await waitFor("the run's end on B's event stream", () => dashboardOnB.runChanges.find((c) => c.runId === runId && c.state === 'verified'), waitMs);
  dashboardOnB.close();
  assert.equal((await finishedWorkflow(runId)).executorId, executorA, 'A ran the workflow to its end');
  assertOperationsOnce(besideB, done);
});

test('manager B sees the same inventory, images and runs as A', testTimeout, async () => {
  for (const path of ['/api/devices', '/api/images']) {
    assert.deepEqual(await apiB.call('GET', path), await apiA.call('GET', path), path);
  }
  const runsOnB = await apiB.call<RunRecord[]>('GET', '/api/runs');
  assert.deepEqual(
    runsOnB.map((run) => run.id),
    [runOf(besideB)],
  );
  assert.deepEqual(runsOnB, await apiA.call<RunRecord[]>('GET', '/api/runs'));
});

test(
  'the manager holding a run, SIGKILLed mid-download, is taken over by the other: the run ends verified; restarted, it does not run it',
  testTimeout,
  async () => {
    const runId = await startRun(killedA);
    await waitFor('the image download under way on device 2', () => operationUnderWay(killedA, 'downloadSoftware'), waitMs);

    // Whichever manager took the run from the queue holds it: that one is killed.
    const holder = (await workflowRow(postgres!.pool, runId))!.executorId;
    const victimIsA = holder === executorIdOf(dataDirA);
    assert.ok(victimIsA || holder === executorIdOf(dataDirB), `the run is held by ${holder}, neither A nor B`);
    const survivor = victimIsA ? apiB : apiA;
    const survivorId = executorIdOf(victimIsA ? dataDirB : dataDirA);
    const victim = victimIsA ? managerA! : managerB!;
    if (victimIsA) managerA = undefined;
    else managerB = undefined;
    await victim.stop('SIGKILL');

    // No operator: the survivor notices the silence, takes the run over and finishes it.
    const done = await survivor.untilState(runId, finalRunStates, waitMs);
    assert.equal(done.run.state, 'verified', JSON.stringify(done.run.outcome));
    assert.equal((await finishedWorkflow(runId)).executorId, survivorId, 'the survivor ran the workflow to its end');
    assertOperationsOnce(killedA, done);
    const managers = await survivor.call<Array<{ executorId: string; state: string; takenOverBy: string | null; workflowsTaken: number | null }>>(
      'GET',
      '/api/managers',
    );
    const dead = managers.find((m) => m.executorId === holder);
    assert.equal(dead?.state, 'dead');
    assert.equal(dead?.takenOverBy, survivorId);
    assert.ok((dead?.workflowsTaken ?? 0) >= 1, 'its run was among the workflows recovered');

    // Restarted on its data directory, the killed manager rejoins and leaves the run alone.
    const operationsBefore = member(killedA).device.operations().length;
    const restarted = await startServe(victimIsA ? argsA : argsB!);
    if (victimIsA) managerA = restarted;
    else managerB = restarted;
    const rejoined = await waitFor(
      'the restarted manager up again',
      async () =>
        (await survivor.call<Array<{ executorId: string; state: string }>>('GET', '/api/managers')).find((m) => m.executorId === holder && m.state === 'up'),
      waitMs,
    );
    assert.equal(rejoined.executorId, holder, 'the restarted manager kept its executor ID');
    assert.equal((await finishedWorkflow(runId)).executorId, survivorId);
    assert.equal(member(killedA).device.operations().length, operationsBefore, 'no operation ordered again');
  },
);

test('B upgrades a device with an image only A received: the image comes from the shared store', testTimeout, async () => {
  // A stops cleanly: every run started now is B's to run.
  const stoppingA = managerA!;
  managerA = undefined;
  assert.equal(await stoppingA.stop('SIGTERM'), 0, stoppingA.stderr());
  const cached = join(dataDirB, 'files', 'images', `${imageSha256}.sfimg`);
  const cachedBefore = existsSync(cached);

  const run = await apiB.call<RunRecord>('POST', '/api/runs', { device: deviceName(onB), image: imageSha256, operator: 'shared-database-test' });
  runIds.set(onB, run.id);
  const done = await apiB.untilState(run.id, finalRunStates, waitMs);
  assert.equal(done.run.state, 'verified', JSON.stringify(done.run.outcome ?? done.timeline.at(-1)?.message));
  assert.equal((await finishedWorkflow(run.id)).executorId, executorIdOf(dataDirB));
  assertOperationsOnce(onB, done);
  assert.ok(existsSync(cached), `B keeps the image in its cache${cachedBefore ? '' : ' (fetched from the shared store for this run)'}`);
  managerA = await startServe(argsA);
});

test('a second manager on a data directory whose embedded database a running manager holds is refused, naming that process', testTimeout, async () => {
  embedded = { dataDir: join(dir, 'manager-embedded'), manager: undefined };
  embedded.manager = await startServe(await managerArgs(`127.11.${third}.202`, embedded.dataDir, undefined));
  const pid = embedded.manager.child.pid!;

  // Other ports, so that the refusal is about the data directory and not a port.
  const second = await runCli(['serve', ...(await managerArgs(`127.11.${third}.203`, embedded.dataDir, undefined))], { timeoutMs: 60_000 });
  assert.equal(second.code, 1, second.stderr);
  assert.match(second.stderr, new RegExp(`in use by process ${pid}\\b.*running on this data directory`));
  // The running manager carries on.
  assert.equal(embedded.manager.child.exitCode, null);
  assert.ok(Array.isArray(await new ManagerApi(() => embedded!.manager!).call('GET', '/api/devices')));

  const stopping = embedded.manager;
  embedded.manager = undefined;
  assert.equal(await stopping.stop('SIGTERM'), 0, stopping.stderr());
});
