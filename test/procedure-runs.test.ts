// Upgrade runs end to end against real virtual devices (SNMP, TFTP, notifications on loopback) with a
// real embedded PostgreSQL and DBOS: every branch of the procedure, each checked against what the
// device itself reports afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FaultPlan } from '../src/agent/faults.ts';
import type { RunEvent } from '../src/manager/store/records.ts';
import { finalStates, startHarness, type Harness } from './helpers/procedure-harness.ts';

const small = { retries: 2, backoffSeconds: 0.2, then: 'abort' as const };
const policy = { backup: small, upgrade: small, migrate: small, restore: small };

// Device n's faults; each test takes its own device.
const faults: Record<number, FaultPlan> = {
  2: { failBackups: { count: 1, cause: 'serverUnreachable' } },
  3: { failDownloads: { count: 1, cause: 'transferTimeout' } },
  4: { failBoots: 1 },
  5: { rejectConfigFormat: 1 },
  6: { dropNotifications: 1 },
};

let harness: Harness;

before(async () => {
  harness = await startHarness({ devices: 8, faults: (n) => faults[n] ?? {} });
});

after(async () => {
  await harness?.stop();
});

function kinds(timeline: RunEvent[], kind: RunEvent['kind']): RunEvent[] {
  return timeline.filter((event) => event.kind === kind);
}

async function upgrade(device: number, version: string, configFormat = 1) {
  const { member, record } = harness.devices[device - 1]!;
  const before = await harness.read(member);
  const image = await harness.image(version, { configFormat });
  const started = await harness.procedure.startRun({ deviceId: record.id, imageSha256: image.sha256, policy, startedBy: 'operator:tester' });
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
