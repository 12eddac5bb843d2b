// Runs created many at once, as a campaign's tick creates them, on a real PostgreSQL: the runs asked for
// together go in one statement and each gets its own number; a device's second unfinished run is still
// refused (within one statement too), a run ID is never used twice, and a run the database refuses does
// not take the others down with it. Devices and runs read at once are read in one statement.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { RunRequestError } from '../../src/manager/procedure/errors.ts';
import { createRun } from '../../src/manager/procedure/start-run.ts';
import { openDatabase, type Database } from '../../src/manager/store/database.ts';
import { ActiveRunError } from '../../src/manager/store/runs.ts';
import { storeOn, type Store } from '../../src/manager/store/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'sf-run-creation-'));
// As root PostgreSQL runs as another user, who must be able to enter the directory.
chmodSync(dir, 0o755);
let database: Database;
let store: Store;
let imageSha256: string;
const statements: string[] = [];
let devicesAdded = 0;

before(async () => {
  database = await openDatabase({ dataDir: dir });
  // Every statement the stores send, to count those that create runs and read devices.
  const query = database.pool.query.bind(database.pool) as (...args: unknown[]) => unknown;
  (database.pool as { query: unknown }).query = (...args: unknown[]) => {
    const text = args[0];
    statements.push(typeof text === 'string' ? text : String((text as { text?: string }).text));
    return query(...args);
  };
  store = storeOn(database.pool);
  imageSha256 = randomBytes(32).toString('hex');
  await store.images.add({
    sha256: imageSha256,
    model: 'IAD-2400',
    version: '4.2.0',
    configFormat: 2,
    size: 1000,
    payloadSha256: randomBytes(32).toString('hex'),
    family: null,
  });
});

after(async () => {
  await database?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function addDevices(count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    devicesAdded += 1;
    const device = await store.devices.add(
      { name: `iad-${devicesAdded}`, address: '127.0.0.1', port: 16000 + devicesAdded, security: { version: 'v2c', community: 'public' }, tags: [] },
      { action: 'device.add', actor: 'operator:tester' },
    );
    ids.push(device.id);
  }
  return ids;
}

function startUpgrade(deviceId: number, runId?: string) {
  return createRun({ runs: store.runs, devices: store.devices, images: store.images }, 'upgrade', {
    deviceId,
    imageSha256,
    startedBy: 'policy',
    ...(runId !== undefined ? { runId } : {}),
  });
}

/** The statements sent while `work` ran whose text matches `pattern`. */
async function counting<T>(pattern: RegExp, work: () => Promise<T>): Promise<{ result: T; count: number }> {
  const from = statements.length;
  const result = await work();
  return { result, count: statements.slice(from).filter((text) => pattern.test(text)).length };
}

const runInserts = /INSERT INTO safeflash\.runs/;

test('runs asked for at once are created together, each with its own number and ID', async () => {
  const devices = await addDevices(30);
  const { result: runs, count } = await counting(runInserts, () => Promise.all(devices.map((id) => startUpgrade(id))));
  // The first goes at once, alone; the others go together once it is written (the first's reads of its
  // device and image went alone too, so it may be a step ahead).
  assert.ok(count <= 3, `${count} statements for thirty runs`);
  assert.deepEqual(
    runs.map((run) => run.deviceId),
    devices,
    'each caller gets its own run',
  );
  const numbers = await Promise.all(runs.map((run) => store.runs.number(run.id)));
  assert.equal(new Set(numbers).size, runs.length, 'every number once');
  assert.deepEqual(
    runs.map((run) => run.id),
    numbers.map((number) => `run-${number}`),
  );
  for (const run of runs) {
    assert.equal(run.state, 'running');
    assert.equal(run.phase, 'preflight');
    assert.deepEqual(await store.runs.get(run.id), run, 'what was returned is what was recorded');
  }
});

test('of two runs asked at once for one device, one is created and the other refused, naming it; the batch goes on', async () => {
  const [shared, other] = await addDevices(2);
  const [first, second, third] = await Promise.allSettled([startUpgrade(shared!), startUpgrade(shared!), startUpgrade(other!)]);
  // The first call goes alone; the second and third go together: the second clashes with the first.
  assert.equal(first.status, 'fulfilled');
  assert.equal(third.status, 'fulfilled', 'the other device’s run, asked in the same statement, is created');
  assert.equal(second.status, 'rejected');
  const refusal = (second as PromiseRejectedResult).reason as RunRequestError;
  assert.ok(refusal instanceof RunRequestError);
  assert.equal(refusal.problem, 'activeRun');
  assert.match(
    refusal.message,
    new RegExp(`already has an active run \\(${(first as PromiseFulfilledResult<{ id: string }>).value.id}, running in preflight\\)`),
  );
  const onShared = await database.pool.query('SELECT id FROM safeflash.runs WHERE device_id = $1', [shared]);
  assert.equal(onShared.rowCount, 1, 'one run on the device');

  // Both in one statement: runs asked together clash with each other, not only with rows already there.
  const [busy, pair] = await addDevices(2);
  const template = await store.runs.get((first as PromiseFulfilledResult<{ id: string }>).value.id);
  const asked = (deviceId: number) =>
    store.runs.create({ kind: 'upgrade', deviceId, imageSha256, policy: template!.policy, options: template!.options!, startedBy: 'policy' });
  const { result: together, count } = await counting(runInserts, () => Promise.allSettled([asked(busy!), asked(pair!), asked(pair!)]));
  assert.equal(count, 2, 'the first alone, the pair together');
  assert.deepEqual(
    together.map((outcome) => outcome.status),
    ['fulfilled', 'fulfilled', 'rejected'],
  );
  assert.ok((together[2] as PromiseRejectedResult).reason instanceof ActiveRunError);
});

test('a run ID already used is refused and the run that has it is left as it was', async () => {
  const [a, b] = await addDevices(2);
  const first = await startUpgrade(a!, 'campaign-7-device-1');
  await database.pool.query(`UPDATE safeflash.runs SET state = 'verified', phase = 'verify' WHERE id = $1`, [first.id]);
  const again = await Promise.allSettled([startUpgrade(b!, 'campaign-7-device-1'), startUpgrade(b!, 'campaign-7-device-2')]);
  assert.equal(again[0]!.status, 'rejected', 'the ID is taken');
  assert.equal(again[1]!.status, 'fulfilled');
  const kept = await store.runs.get('campaign-7-device-1');
  assert.equal(kept?.deviceId, a);
  assert.equal(kept?.state, 'verified');
});

test('a run the database refuses (its image gone) fails alone; the runs asked with it are created', async () => {
  const devices = await addDevices(4);
  const template = await startUpgrade(devices[0]!);
  const missingImage = randomBytes(32).toString('hex');
  const asked = devices.slice(1).map((deviceId, n) =>
    store.runs.create({
      kind: 'upgrade',
      deviceId,
      imageSha256: n === 1 ? missingImage : imageSha256,
      policy: template.policy,
      options: template.options!,
      startedBy: 'policy',
    }),
  );
  const outcomes = await Promise.allSettled(asked);
  assert.deepEqual(
    outcomes.map((outcome) => outcome.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  const refusal = (outcomes[1] as PromiseRejectedResult).reason as { code?: string };
  assert.ok(!(refusal instanceof ActiveRunError), 'not mistaken for a clash');
  assert.equal(refusal.code, '23503', 'the database’s own refusal: a foreign key');
  const onRefused = await database.pool.query('SELECT id FROM safeflash.runs WHERE device_id = $1', [devices[2]]);
  assert.equal(onRefused.rowCount, 0, 'nothing recorded for the refused run');
});

test('devices and runs read at once are read in one statement each; unknown ones read as absent', async () => {
  const devices = await addDevices(12);
  const runs = await Promise.all(devices.slice(0, 6).map((id) => startUpgrade(id)));

  const { result: read, count } = await counting(/FROM safeflash\.devices WHERE id/, () =>
    Promise.all([...devices.slice(1), 999_999, devices[1]!].map((id) => store.devices.get(id))),
  );
  // The first goes at once, alone; the others together once it is answered.
  assert.ok(count <= 2, `${count} statements for 13 reads`);
  assert.deepEqual(
    read.map((device) => device?.id),
    [...devices.slice(1), undefined, devices[1]],
  );

  const { result: readRuns, count: runReads } = await counting(/FROM safeflash\.runs WHERE id/, () =>
    Promise.all([...runs.map((run) => run.id), 'run-nonexistent'].map((id) => store.runs.get(id))),
  );
  assert.ok(runReads <= 2, `${runReads} statements for 7 reads`);
  assert.deepEqual(
    readRuns.map((run) => run?.id),
    [...runs.map((run) => run.id), undefined],
  );
});
