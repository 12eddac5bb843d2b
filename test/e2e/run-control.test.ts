// Controlling runs through a real `safeflash serve`, as an operator does: a run retried with a corrected
// image names it everywhere (API, `runs list`, `runs show`), and a run cancelled with `safeflash runs
// cancel` stops at its next safe point even when the manager is killed and restarted in between. The
// devices live in this process, so they outlive the manager.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Fleet, FleetMember } from '../../src/agent/fleet.ts';
import type { OperationType } from '../../src/protocol/vocabulary.ts';
import { vendorKeyPrefix } from '../../src/agent/vendor-key.ts';
import type { RunEvent, RunRecord } from '../../src/manager/store/records.ts';
import { packImage } from '../../src/protocol/image.ts';
import { keyPairFiles, readPrivateKey } from '../../src/protocol/keys.ts';
import { runCli, startServe, type ServeProcess } from '../helpers/cli-process.ts';
import { killLab, killPostgres, labModel, readLabDevice, restartableServeArgs, runningOperation, startLabFleet, waitFor } from '../helpers/kill-manager.ts';

const lab = killLab('sf-control-', 11);
const { dir, dataDir, third, devicePort, address, deviceName, credentials } = lab;
/** Device 1 is slow enough that a manager restart fits inside its download; the pause is per tenth of the file. */
const slowStepMs = 2000;
const waitMs = 90_000;
const testTimeout = { timeout: 240_000 };
const finalStates = ['verified', 'failed', 'rolledBack', 'aborted'];

const slowed = 1;
const corrupting = 2;

interface RunDetail {
  run: RunRecord;
  timeline: RunEvent[];
}

let fleet: Fleet;
let serveArgs: string[];
let manager: ServeProcess | undefined;
const images = new Map<string, string>();

const cli = (...args: string[]) => runCli(args, { env: manager!.env, timeoutMs: 60_000 });

async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${manager!.url}${path}`, {
    method,
    signal: AbortSignal.timeout(10_000),
    headers: { authorization: `Bearer ${manager!.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function runDetail(runId: string): Promise<RunDetail> {
  const answer = await api<RunDetail>('GET', `/api/runs/${runId}`);
  assert.equal(answer.status, 200);
  return answer.body;
}

async function untilState(runId: string, states: string[]): Promise<RunDetail> {
  return waitFor(
    `run ${runId} to be ${states.join(' or ')}`,
    async () => {
      const detail = await runDetail(runId);
      return states.includes(detail.run.state) ? detail : undefined;
    },
    waitMs,
    250,
  );
}

function member(n: number): FleetMember {
  return fleet.members[n - 1]!;
}

const operationUnderWay = (n: number, type: OperationType) => runningOperation(fleet!, n, type);

const readDevice = (n: number) => readLabDevice(lab, n);

before(async () => {
  fleet = await startLabFleet({
    dir,
    devices: 2,
    baseAddress: address(1),
    port: devicePort,
    faults: (n) => (n === slowed ? { slowTransfers: { stepDelayMs: slowStepMs } } : n === corrupting ? { corruptDownloads: 1 } : {}),
  });
  serveArgs = await restartableServeArgs(lab, false);
  manager = await startServe(serveArgs);
  const discovered = await cli('device', 'discover', `127.11.${third}.0/29`, '--port', String(devicePort), '--timeout-ms', '300', ...credentials);
  assert.equal(discovered.code, 0, discovered.stderr);
  const key = readPrivateKey(keyPairFiles(vendorKeyPrefix(join(dir, 'vendor'))).privateKeyFile);
  for (const version of ['2.0.0', '2.0.1']) {
    const file = join(dir, `${version}.sfimg`);
    writeFileSync(file, packImage({ model: labModel, version, configFormat: 1 }, Buffer.from(`software ${version}`), key));
    const added = await cli('image', 'add', file, '--json');
    assert.equal(added.code, 0, added.stderr);
    images.set(version, (JSON.parse(added.stdout) as { sha256: string }).sha256);
  }
});

after(async () => {
  await manager?.stop('SIGKILL');
  await killPostgres(dataDir);
  await fleet?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('retried with a corrected image: the API, `runs list` and `runs show` name it, the timeline both images', testTimeout, async () => {
  const first = images.get('2.0.0')!;
  const fixed = images.get('2.0.1')!;
  const started = await api<RunRecord>('POST', '/api/runs', {
    device: deviceName(corrupting),
    image: first,
    policy: { upgrade: { retries: 0, then: 'ask' } },
    operator: 'ann',
  });
  assert.equal(started.status, 201);
  const runId = started.body.id;
  await untilState(runId, ['waiting']);
  const decided = await cli('decide', runId, 'retry', '--image', join(dir, '2.0.1.sfimg'), '--operator', 'bob');
  assert.equal(decided.code, 0, decided.stdout + decided.stderr);
  const { run, timeline } = await untilState(runId, finalStates);
  assert.equal(run.state, 'verified', JSON.stringify(run.outcome));
  assert.equal((await readDevice(corrupting)).runningVersion, '2.0.1');

  assert.equal(run.imageSha256, fixed);
  const listed = (await api<RunRecord[]>('GET', '/api/runs')).body.find((r) => r.id === runId);
  assert.equal(listed?.imageSha256, fixed);
  const tried = timeline.filter((e) => e.phase === 'upgrade' && e.kind === 'phaseStarted').map((e) => e.detail.image);
  assert.deepEqual(tried, [
    { sha256: first, version: '2.0.0' },
    { sha256: fixed, version: '2.0.1' },
  ]);

  const list = await cli('runs', 'list');
  assert.equal(list.code, 0, list.stderr);
  const row = list.stdout.split('\n').find((line) => line.startsWith(runId));
  assert.ok(row?.includes(fixed.slice(0, 12)) && !row.includes(first.slice(0, 12)), row);
  const shown = await cli('runs', 'show', runId);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, new RegExp(`image +${fixed}`));
  assert.match(shown.stdout, new RegExp(`tried +2\\.0\\.0 \\(${first.slice(0, 12)}\\), 2\\.0\\.1 \\(${fixed.slice(0, 12)}\\)`));
});

test(
  '`runs cancel` during a slow download, the manager killed and restarted before the download ends: the run still stops and rolls back',
  testTimeout,
  async () => {
    const before = await readDevice(slowed);
    const started = await api<RunRecord>('POST', '/api/runs', { device: deviceName(slowed), image: images.get('2.0.0')!, operator: 'ann' });
    assert.equal(started.status, 201);
    const runId = started.body.id;
    await waitFor('the download under way on device 1', () => operationUnderWay(slowed, 'downloadSoftware'), waitMs);

    const cancelled = await cli('runs', 'cancel', runId, '--operator', 'zoe');
    assert.equal(cancelled.code, 0, cancelled.stdout + cancelled.stderr);
    assert.match(cancelled.stdout, new RegExp(`run ${runId}: cancel recorded for operator:zoe`));
    // The request is on record, the run has not reached its safe point: the download still runs.
    const asked = await runDetail(runId);
    assert.equal(asked.run.cancelRequestedBy, 'operator:zoe');
    assert.ok(!asked.timeline.some((e) => e.kind === 'cancelled'), 'the run stopped before its download ended');
    assert.ok(operationUnderWay(slowed, 'downloadSoftware'), 'the download ended before the manager was killed');

    const killed = manager!;
    manager = undefined;
    await killed.stop('SIGKILL');
    manager = await startServe(serveArgs);

    const { run, timeline } = await untilState(runId, finalStates);
    assert.equal(run.state, 'rolledBack', JSON.stringify(run.outcome));
    assert.match(run.outcome?.summary ?? '', /cancelled by zoe during upgrade; rolled back/);
    const now = await readDevice(slowed);
    assert.equal(now.activeBank, before.activeBank);
    assert.equal(now.runningVersion, before.runningVersion);
    assert.equal(now.configDigest, before.configDigest);
    const operations = member(slowed).device.operations();
    assert.equal(operations.find((op) => op.request.type === 'downloadSoftware')?.state, 'successful', 'the download was left to finish');
    assert.equal(operations.filter((op) => op.request.type === 'reboot').length, 0, 'nothing new was started after the request');
    const requested = timeline.filter((e) => e.kind === 'cancelRequested');
    assert.deepEqual(
      requested.map((e) => e.actor),
      ['operator:zoe'],
    );
    assert.equal(timeline.find((e) => e.kind === 'cancelled')?.actor, 'operator:zoe');

    // Repeated on an ended run: refused with a clear message, exit 1; an unknown run is a usage error.
    const late = await cli('runs', 'cancel', runId, '--operator', 'zoe');
    assert.equal(late.code, 1);
    assert.match(late.stderr, /has ended \(rolledBack\): there is nothing to cancel/);
    const unknown = await cli('runs', 'cancel', 'run-999999');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no run run-999999/);
    const ended = await api<{ error: string }>('POST', `/api/runs/${runId}/cancel`, { operator: 'zoe' });
    assert.equal(ended.status, 409);
    assert.equal((await runDetail(runId)).timeline.length, timeline.length, 'a refused cancel changes nothing');
    assert.equal((await api('POST', '/api/runs/run-999999/cancel', {})).status, 404);
  },
);

test('the OpenAPI document describes the cancel endpoint', testTimeout, async () => {
  const response = await fetch(`${manager!.url}/openapi.json`, { signal: AbortSignal.timeout(10_000) });
  const document = (await response.json()) as {
    paths: Record<string, Record<string, { summary: string; responses: Record<string, unknown>; security: unknown[] }>>;
  };
  const cancel = document.paths['/api/runs/{run}/cancel']?.post;
  assert.ok(cancel, 'POST /api/runs/{run}/cancel is documented');
  assert.match(cancel.summary, /next safe point/);
  for (const status of ['202', '401', '403', '404', '409']) assert.ok(cancel.responses[status], `response ${status}`);
  assert.ok(cancel.security.length > 0);
});
