// Run options end to end against real virtual devices: a repeated upgrade of a device that already runs
// the image changes nothing (read back over SNMP), --reinstall forces it and says what it overwrites,
// FTP carries every transfer of a run that asks for it, and a run's own time limit names itself when
// silence fails an operation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FleetMember } from '../../src/agent/fleet.ts';
import { enumeration, oid } from '../../src/protocol/mib.ts';
import { SnmpSession } from '../../src/protocol/snmp/session.ts';
import { bufferValue, numberValue } from '../../src/protocol/snmp/varbind.ts';
import type { DeviceRecord, RunState } from '../../src/manager/store/records.ts';
import { finalStates, startHarness, type Harness } from '../helpers/procedure-harness.ts';

const abort = { retries: 0, backoffSeconds: 0, then: 'abort' as const };
const policy = { backup: abort, upgrade: abort, migrate: abort, restore: abort };
const ended: RunState[] = [...finalStates, 'upToDate'];

let harness: Harness;

before(async () => {
  harness = await startHarness({
    devices: 4,
    // Device 4 loses power as its backup starts and stays off far longer than any limit.
    faults: (n) => (n === 4 ? { powerLoss: { operation: 'backupConfig', percent: 0, powerOffMs: 600_000, count: 1 } } : {}),
  });
});

after(async () => {
  await harness?.stop();
});

/** What the device says over SNMP about its boot, its banks, its configuration and its operation rows. */
async function snapshot(member: FleetMember, record: DeviceRecord) {
  const session = new SnmpSession({
    peer: { address: member.address, port: record.port },
    security: record.security,
    sourceAddress: '127.0.0.1',
    timeoutMs: 1000,
    retries: 2,
  });
  try {
    const [bootTime, bootCause, digest] = await session.get([`${oid('sfBootTime')}.0`, `${oid('sfLastBootCause')}.0`, `${oid('sfConfigDigest')}.0`]);
    const banks = await session.walk(oid('sfBankTable'));
    const protocols = await session.walk(oid('sfOpProtocol'));
    const protocol = enumeration('sfOpProtocol');
    return {
      bootTime: bufferValue(bootTime!).toString('hex'),
      bootCause: numberValue(bootCause!),
      configDigest: bufferValue(digest!).toString('hex'),
      banks: banks.map((v) => `${v.oid}=${Buffer.isBuffer(v.value) ? v.value.toString('hex') : String(v.value)}`),
      operations: protocols.map((v) => protocol.label(numberValue(v))),
    };
  } finally {
    session.close();
  }
}

async function upgrade(device: number, imageSha256: string, options: Record<string, unknown> = {}) {
  const { record } = harness.devices[device - 1]!;
  const started = await harness.procedure.startRun({ deviceId: record.id, imageSha256, policy, startedBy: 'operator:tester', options });
  const run = await harness.waitFor(started.id, ended);
  return { run, timeline: await harness.procedure.runs.timeline(run.id) };
}

test('repeating an upgrade of an up-to-date device ends upToDate and changes nothing on it', async () => {
  const { member, record } = harness.devices[0]!;
  const image = await harness.image('2.0.0');
  const first = await upgrade(1, image.sha256);
  assert.equal(first.run.state, 'verified', first.run.outcome?.summary);

  const before = await snapshot(member, record);
  const again = await upgrade(1, image.sha256);
  const now = await snapshot(member, record);
  assert.equal(again.run.state, 'upToDate', again.run.outcome?.summary);
  assert.equal(again.run.outcome?.state, 'upToDate');
  assert.equal(again.run.phase, 'preflight');
  assert.equal(again.timeline.filter((e) => e.kind === 'operationStarted').length, 0, 'nothing ordered on the device');
  assert.equal(now.bootTime, before.bootTime, 'the device did not reboot');
  assert.equal(now.bootCause, before.bootCause);
  assert.deepEqual(now.banks, before.banks, 'both banks as they were');
  assert.equal(now.configDigest, before.configDigest, 'the configuration as it was');
  assert.deepEqual(now.operations, before.operations, 'no operation row added');
});

test('reinstall installs the image again and the timeline says the other bank is overwritten', async () => {
  const { member } = harness.devices[1]!;
  const image = await harness.image('2.1.0');
  assert.equal((await upgrade(2, image.sha256)).run.state, 'verified');
  const previous = (await harness.read(member)).previousVersion;

  const again = await upgrade(2, image.sha256, { reinstall: true });
  assert.equal(again.run.state, 'verified', again.run.outcome?.summary);
  assert.equal(again.run.options?.reinstall, true);
  const warning = again.timeline.find((e) => e.kind === 'reinstall');
  assert.ok(warning, 'a reinstall event');
  assert.match(warning.message, /will be overwritten/);
  assert.match(warning.message, new RegExp(`holding ${previous.replace(/\./g, '\\.')}, the way back`));
  const now = await harness.read(member);
  assert.equal(now.runningVersion, '2.1.0');
  assert.equal(now.previousVersion, '2.1.0', 'the other bank now holds the same version: the way back is gone');
});

test('an upgrade over FTP verifies and every transfer of the run used FTP', async () => {
  const { member, record } = harness.devices[2]!;
  const image = await harness.image('2.2.0');
  const { run, timeline } = await upgrade(3, image.sha256, { transport: 'ftp' });
  assert.equal(run.state, 'verified', run.outcome?.summary);
  assert.equal(run.options?.transport, 'ftp');
  const transfers = timeline.filter(
    (e) => e.kind === 'operationFinished' && ['backupConfig', 'downloadSoftware', 'restoreConfig'].includes(String(e.detail.type)),
  );
  assert.deepEqual(
    transfers.map((e) => e.detail.type),
    ['backupConfig', 'downloadSoftware', 'restoreConfig'],
  );
  const { operations } = await snapshot(member, record);
  // The device's rows: backup, download, reboot (no transfer, protocol as ordered), restore: FTP wherever a file moved.
  assert.ok(operations.length >= 3);
  const rows = await operationRows(member, record);
  for (const row of rows.filter((r) => r.type !== 'reboot' && r.type !== 'revertSoftware'))
    assert.equal(row.protocol, 'ftp', `operation ${row.index} (${row.type})`);
  assert.deepEqual(
    rows.filter((r) => r.type !== 'reboot').map((r) => r.type),
    ['backupConfig', 'downloadSoftware', 'restoreConfig'],
  );
});

async function operationRows(member: FleetMember, record: DeviceRecord) {
  const session = new SnmpSession({
    peer: { address: member.address, port: record.port },
    security: record.security,
    sourceAddress: '127.0.0.1',
    timeoutMs: 1000,
    retries: 2,
  });
  try {
    const types = await session.walk(oid('sfOpType'));
    const protocols = await session.walk(oid('sfOpProtocol'));
    const type = enumeration('sfOpType');
    const protocol = enumeration('sfOpProtocol');
    return types.map((v, i) => ({ index: v.oid.split('.').pop(), type: type.label(numberValue(v)), protocol: protocol.label(numberValue(protocols[i]!)) }));
  } finally {
    session.close();
  }
}

test("a run's own backup limit is kept with it and named when silence fails the backup", async () => {
  const image = await harness.image('2.3.0');
  const { run, timeline } = await upgrade(4, image.sha256, { timeLimits: { backup: 2 } });
  assert.equal(run.options?.timeLimits.backup, 2);
  assert.equal(run.options?.timeLimits.download, 10, "the manager's download limit where the run names none");
  assert.equal(run.state, 'failed', run.outcome?.summary);
  const silent = timeline.find((e) => e.kind === 'operationFinished' && e.cause === 'silent');
  assert.ok(silent, 'the backup went silent');
  assert.deepEqual({ limit: silent.detail.limit, seconds: silent.detail.seconds }, { limit: 'backup', seconds: 2 });
  assert.match(silent.message, /backup time limit of 2 s/);
});

test('bad run options are refused and start nothing', async () => {
  const image = await harness.image('2.4.0');
  const { record } = harness.devices[0]!;
  for (const options of [{ transport: 'scp' }, { timeLimits: { backup: 0 } }, { timeLimits: { reboot: 5 } }, { reinstall: 'yes' }]) {
    await assert.rejects(
      harness.procedure.startRun({ deviceId: record.id, imageSha256: image.sha256, startedBy: 'operator:tester', options: options as never }),
      (error: Error & { problem?: string }) => error.name === 'RunRequestError' && error.problem === 'badOptions',
    );
  }
  assert.equal(await harness.procedure.runs.active(record.id), undefined);
});
