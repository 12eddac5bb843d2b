// A reboot that lasts as long as the wait's poll interval: the wait times out just as the device comes
// back, and its poll (retried once the device answers again) reads the row's end a moment before the
// device's notification of it arrives. That end was notified, not missed: no polling fallback. A device
// whose notifications are really lost still falls back to polling.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunEvent } from '../../src/manager/store/records.ts';
import { finalStates, startHarness, type Harness } from '../helpers/procedure-harness.ts';

const rebootSeconds = 1;
let harness: Harness;

before(async () => {
  harness = await startHarness({
    devices: 2,
    rebootMs: rebootSeconds * 1000,
    timeouts: { pollSeconds: rebootSeconds },
    faults: (n) => (n === 2 ? { dropNotifications: 1 } : {}),
  });
});

after(async () => {
  await harness?.stop();
});

async function upgradeTimeline(device: number, version: string): Promise<RunEvent[]> {
  const { record } = harness.devices[device - 1]!;
  const image = await harness.image(version);
  const started = await harness.procedure.startRun({ deviceId: record.id, imageSha256: image.sha256, startedBy: 'operator:tester' });
  const run = await harness.waitFor(started.id, finalStates);
  assert.equal(run.state, 'verified', run.outcome?.summary);
  return harness.procedure.runs.timeline(run.id);
}

test('reboots as long as the poll interval are heard by notification, every time', async () => {
  for (const version of ['2.1.0', '2.1.1', '2.1.2']) {
    const timeline = await upgradeTimeline(1, version);
    const reboots = timeline.filter((event) => event.kind === 'operationFinished' && event.detail.type === 'reboot');
    assert.equal(reboots.length, 1);
    assert.equal(reboots[0]?.detail.via, 'notification', `${version}: the reboot's end was counted as ${String(reboots[0]?.detail.via)}`);
    assert.deepEqual(
      timeline.filter((event) => event.kind === 'pollingFallback').map((event) => event.message),
      [],
    );
  }
});

test('a device whose notifications are lost still falls back to polling', async () => {
  const timeline = await upgradeTimeline(2, '2.1.0');
  const finished = timeline.filter((event) => event.kind === 'operationFinished');
  assert.ok(finished.length >= 4);
  assert.ok(finished.every((event) => event.detail.via === 'polling'));
  assert.equal(timeline.filter((event) => event.kind === 'pollingFallback').length, finished.length);
});
