// Stage now, activate later; pre-checks before any change and again before activation; post-checks
// after the upgrade. Real virtual devices and a real embedded PostgreSQL and DBOS: what a staged device
// runs is read back over SNMP, and every outcome is compared with what the device says afterwards.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FleetMember } from '../../src/agent/fleet.ts';
import type { DeviceRecord, RunEvent, RunRecord } from '../../src/manager/store/records.ts';
import { oid } from '../../src/protocol/mib.ts';
import { decodeDateAndTime } from '../../src/protocol/snmp/date-and-time.ts';
import { SnmpSession } from '../../src/protocol/snmp/session.ts';
import { bufferValue } from '../../src/protocol/snmp/varbind.ts';
import { transferOrder } from '../../src/manager/procedure/phases/transfer-order.ts';
import { DecisionError, NotWaitingError } from '../../src/manager/procedure/procedure.ts';
import { finalStates, startHarness, type Harness } from '../helpers/procedure-harness.ts';

const slow = { slowTransfers: { stepDelayMs: 400 } };
let harness: Harness;

before(async () => {
  harness = await startHarness({
    devices: 8,
    faults: (n) => (n === 5 ? slow : n === 7 ? { portDownAfterUpgrade: { port: 'lan1', count: 1 } } : {}),
    // Device 4's banks hold 64 bytes: no image fits.
    bankBytes: (n) => (n === 4 ? 64 : undefined),
  });
});

after(async () => {
  await harness?.stop();
});

/** When the device's running software started (sfBootTime), read over SNMP. */
async function bootTime(member: FleetMember, record: DeviceRecord): Promise<number> {
  const session = new SnmpSession({ peer: { address: member.address, port: record.port }, security: record.security, sourceAddress: '127.0.0.1' });
  try {
    const [cell] = await session.get([`${oid('sfBootTime')}.0`]);
    return decodeDateAndTime(bufferValue(cell!))!.getTime();
  } finally {
    session.close();
  }
}

async function stagedRun(
  n: number,
  version: string,
  options: { whenIdle?: boolean } = {},
): Promise<{ run: RunRecord; member: FleetMember; record: DeviceRecord }> {
  const { member, record } = harness.devices[n - 1]!;
  const image = await harness.image(version);
  const started = await harness.procedure.startRun({
    deviceId: record.id,
    imageSha256: image.sha256,
    options: { stage: true, ...options },
    startedBy: 'operator:ann',
  });
  const run = await harness.waitFor(started.id, ['staged', ...finalStates]);
  assert.equal(run.state, 'staged', run.outcome?.summary);
  return { run, member, record };
}

function checksOf(timeline: RunEvent[], round: string): Array<{ name: string; verdict: string; message: string }> {
  const event = timeline.filter((e) => e.kind === 'checks' && e.detail.round === round).at(-1);
  assert.ok(event, `a ${round} round of checks`);
  return event.detail.checks as Array<{ name: string; verdict: string; message: string }>;
}

const activate = (runId: string, who = 'operator:bob') => harness.procedure.decide(runId, { answer: 'activate', actor: who as `operator:${string}` });

test('staged: the device runs its old software, unrebooted; the new image waits unmarked; activated later, the run verifies', async () => {
  const { member, record } = harness.devices[0]!;
  const found = await harness.read(member);
  const bootedAt = await bootTime(member, record);
  const { run } = await stagedRun(1, '9.1.0');

  const staged = await harness.read(member);
  assert.equal(staged.runningVersion, found.runningVersion);
  assert.equal(staged.activeBank, found.activeBank);
  assert.equal(staged.nextBootBank, found.activeBank, 'the staged bank is not marked for boot');
  assert.equal(await bootTime(member, record), bootedAt, 'nothing rebooted');
  const inactive = staged.banks.find((bank) => bank.bank !== staged.activeBank)!;
  assert.deepEqual([inactive.state, inactive.version], ['valid', '9.1.0']);
  assert.deepEqual(
    member.device.operations().map((op) => op.request.type),
    ['backupConfig', 'stageSoftware'],
  );
  // Only activate or abort are answers for a staged run.
  await assert.rejects(harness.procedure.decide(run.id, { answer: 'retry', actor: 'operator:bob' }), (e: unknown) => e instanceof DecisionError);

  await activate(run.id);
  const ended = await harness.waitFor(run.id, finalStates);
  assert.equal(ended.state, 'verified', ended.outcome?.summary);
  const now = await harness.read(member);
  assert.equal(now.runningVersion, '9.1.0');
  assert.equal(now.activeBank, inactive.bank);
  assert.equal(now.configDigest, found.configDigest);
  assert.ok(member.device.operations().some((op) => op.request.type === 'activateSoftware' && op.state === 'successful'));
  assert.ok(!member.device.operations().some((op) => op.request.type === 'downloadSoftware'), 'the staged image was not downloaded again');

  const timeline = await harness.procedure.runs.timeline(run.id);
  for (const round of ['beforeChanges', 'beforeActivation', 'afterUpgrade']) {
    assert.ok(
      checksOf(timeline, round).every((check) => check.verdict !== 'fail'),
      round,
    );
  }
  assert.deepEqual(
    checksOf(timeline, 'afterUpgrade').map((check) => [check.name, check.verdict]),
    [
      ['ports', 'pass'],
      ['lines', 'pass'],
      ['alarms', 'pass'],
    ],
  );
  const decision = timeline.find((e) => e.kind === 'decision');
  assert.equal(decision?.actor, 'operator:bob');
  // Activating again: the run is no longer staged.
  await assert.rejects(activate(run.id), (e: unknown) => e instanceof NotWaitingError);
});

test('a power cut while staged: the device comes back on its old software, and the run can still be activated', async () => {
  const { run, member } = await stagedRun(2, '9.2.0');
  const staged = await harness.read(member);
  await member.device.stop();
  await member.device.start();
  const back = await harness.read(member);
  assert.equal(back.runningVersion, staged.runningVersion);
  assert.equal(back.activeBank, staged.activeBank);
  assert.equal(back.lastBootCause, 'powerOn');
  assert.equal(back.banks.find((bank) => bank.bank !== back.activeBank)?.version, '9.2.0');

  await activate(run.id);
  const ended = await harness.waitFor(run.id, finalStates);
  assert.equal(ended.state, 'verified', ended.outcome?.summary);
  assert.equal((await harness.read(member)).runningVersion, '9.2.0');
});

test('activation when idle waits for the calls in progress to end', async () => {
  const { run, member } = await stagedRun(3, '9.3.0', { whenIdle: true });
  const found = await harness.read(member);
  member.device.setActiveCalls(2);
  await activate(run.id);
  for (let waited = 0; !(await harness.procedure.runs.timeline(run.id)).some((e) => e.kind === 'waitingIdle'); waited++) {
    assert.ok(waited < 300, 'the run says it waits for the calls');
    await new Promise((done) => setTimeout(done, 100));
  }
  // Calls still up: nothing was activated yet.
  await new Promise((done) => setTimeout(done, 1500));
  assert.equal((await harness.read(member)).runningVersion, found.runningVersion);
  assert.ok(!member.device.operations().some((op) => op.request.type === 'activateSoftware'));
  member.device.setActiveCalls(0);
  const ended = await harness.waitFor(run.id, finalStates);
  assert.equal(ended.state, 'verified', ended.outcome?.summary);
  assert.equal((await harness.read(member)).runningVersion, '9.3.0');
});

test('pre-check bankSpace: an image larger than the inactive bank stops the run before any change', async () => {
  const { member, record } = harness.devices[3]!;
  const image = await harness.image('9.4.0');
  const started = await harness.procedure.startRun({ deviceId: record.id, imageSha256: image.sha256, startedBy: 'operator:ann' });
  const run = await harness.waitFor(started.id, finalStates);
  assert.equal(run.state, 'failed');
  assert.equal(run.phase, 'preflight');
  assert.match(
    run.outcome?.summary ?? '',
    /bankSpace: the image takes \d+ bytes and the inactive bank holds 64: not enough space\); .*nothing on the device was changed/,
  );
  assert.deepEqual(member.device.operations(), []);
});

test('pre-check noOperation: an operation in progress on the device stops the run before any change', async () => {
  const { member, record } = harness.devices[4]!;
  const image = await harness.image('9.5.0');
  // Somebody else's download, slowed down, under way on the device.
  const offer = await harness.files.offerImage(image.sha256, 'tftp');
  const order = transferOrder('downloadSoftware', offer);
  member.device.createOperation(4242, {
    type: 'downloadSoftware',
    protocol: 'tftp',
    server: order.server!,
    fileName: order.fileName!,
    username: '',
    password: '',
    notifyTarget: undefined,
  });
  const started = await harness.procedure.startRun({ deviceId: record.id, imageSha256: image.sha256, startedBy: 'operator:ann' });
  const run = await harness.waitFor(started.id, finalStates);
  assert.equal(run.state, 'failed');
  assert.match(run.outcome?.summary ?? '', /noOperation: downloadSoftware #4242 is in progress on the device/);
  assert.deepEqual(
    member.device.operations().map((op) => op.index),
    [4242],
  );
  await member.device.idle();
});

test('configuration changed while staged: activation backs it up again and restores the new one', async () => {
  const { run, member } = await stagedRun(6, '9.6.0');
  await member.device.editConfig((config) => ({ ...config, system: { ...config.system, hostname: 'changed-while-staged' } }));
  const edited = (await harness.read(member)).configDigest;
  await activate(run.id);
  const ended = await harness.waitFor(run.id, finalStates);
  assert.equal(ended.state, 'verified', ended.outcome?.summary);
  const now = await harness.read(member);
  assert.equal(now.runningVersion, '9.6.0');
  assert.equal(now.configDigest, edited, 'the configuration the customer changed is the one restored');
  const timeline = await harness.procedure.runs.timeline(run.id);
  const configCheck = checksOf(timeline, 'beforeActivation').find((check) => check.name === 'configUnchanged');
  assert.equal(configCheck?.verdict, 'fail');
  assert.equal(member.device.operations().filter((op) => op.request.type === 'backupConfig').length, 2);
  assert.notEqual(ended.outcome?.backupSha256, null);
  assert.equal((await harness.store.backups.get(ended.outcome!.backupSha256!))?.configDigest, edited);
});

test('post-check ports: a port down after the upgrade fails verify, and the device is rolled back', async () => {
  const { member, record } = harness.devices[6]!;
  const found = await harness.read(member);
  const image = await harness.image('9.7.0');
  const started = await harness.procedure.startRun({
    deviceId: record.id,
    imageSha256: image.sha256,
    policy: { restore: { retries: 0, backoffSeconds: 0, then: 'abort' } },
    startedBy: 'operator:ann',
  });
  const run = await harness.waitFor(started.id, finalStates);
  assert.equal(run.state, 'rolledBack', run.outcome?.summary);
  assert.match(
    run.outcome?.summary ?? '',
    /verify failed \(checkFailed: post-checks: ports: lan1 was up before the upgrade and is not now; alarms: 1 alarm raised, 0 before\)/,
  );
  const now = await harness.read(member);
  assert.equal(now.runningVersion, found.runningVersion);
  assert.equal(now.activeBank, found.activeBank);
  assert.equal(now.configDigest, found.configDigest);
  assert.equal(member.device.status().ports.find((port) => port.name === 'lan1')?.oper, 'up', 'the old software brings the port back');
});

test('aborted while staged: the run ends, the device keeps its software, the staged image stays unmarked', async () => {
  const { run, member } = await stagedRun(8, '9.8.0');
  const staged = await harness.read(member);
  await harness.procedure.decide(run.id, { answer: 'abort', actor: 'operator:cy' });
  const ended = await harness.waitFor(run.id, finalStates);
  assert.equal(ended.state, 'aborted');
  assert.match(ended.outcome?.summary ?? '', /what was staged stays in its inactive bank, not marked for boot/);
  const now = await harness.read(member);
  assert.deepEqual([now.runningVersion, now.activeBank, now.nextBootBank], [staged.runningVersion, staged.activeBank, staged.activeBank]);
});
