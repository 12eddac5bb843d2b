// Campaigns against a real manager and virtual fleet: the maintenance window (with a clock the test
// moves), abort (every device ends complete or rolled back, never mid-upgrade), and devices that are
// offline or busy with another run when their turn comes (tried again after the last wave, reported).
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { localSecondOfDay, windowIsOpen, parseWindow } from '../../src/manager/campaigns/window.ts';
import type { CampaignRecord } from '../../src/manager/store/campaigns.ts';
import { createCampaign, quickPolicy, startCampaignWorld, type CampaignWorld } from '../helpers/campaign-world.ts';

let world: CampaignWorld;

before(async () => {
  world = await startCampaignWorld({ devices: 6 });
});

after(async () => {
  await world?.stop();
});

const create = (body: object): Promise<CampaignRecord> => createCampaign(world, body);

test('maintenance window: nothing starts before it opens; runs start once it is open', { timeout: 90_000 }, async () => {
  const zone = 'Europe/Paris';
  // Move the campaign clock to 01:59:57 in Paris: the 02:00-05:00 window opens 3 s later.
  const now = Date.now();
  const toTarget = (((2 * 3600 - 3 - localSecondOfDay(now, zone)) % 86_400) + 86_400) % 86_400;
  world.clock.offsetMs = toTarget * 1000 - (now % 1000);
  try {
    const image = await world.image('2.0.0');
    const campaign = await create({
      name: 'night',
      image,
      devices: world.names.slice(0, 2),
      waves: '100%',
      window: '02:00-05:00',
      timeZone: zone,
      policy: quickPolicy,
    });
    await world.waitForState(campaign.id, ['waitingWindow'], 10);
    assert.equal((await world.runs(campaign.id)).length, 0, 'no run before the window opens');
    const done = await world.waitForState(campaign.id, ['completed']);
    const window = parseWindow('02:00-05:00', zone);
    for (const device of done.devices) {
      assert.equal(device.state, 'verified');
      assert.ok(
        device.startedAt && windowIsOpen(window, device.startedAt.getTime()),
        `${device.name} started inside the window (${device.startedAt?.toISOString()})`,
      );
    }
    const waited = done.events.find((e) => e.kind === 'stateChanged' && e.detail.to === 'waitingWindow');
    assert.equal(waited?.cause, 'outsideWindow');
    assert.ok(done.events.some((e) => e.kind === 'stateChanged' && e.cause === 'windowOpened'));
  } finally {
    world.clock.offsetMs = 0;
  }
});

test('abort: no new run starts, runs under way end complete or rolled back, a waiting run is answered', { timeout: 120_000 }, async () => {
  const image = await world.image('2.1.0');
  const before = await Promise.all([1, 2, 3, 4].map((n) => world.read(n)));
  // Device 1's new software fails to boot: its run asks an operator and waits. Device 2 is slow.
  world.fleet.members[0]!.device.setFaults({ failBoots: 1 });
  world.fleet.members[1]!.device.setFaults({ slowTransfers: { stepDelayMs: 200 } });
  const campaign = await create({
    name: 'stopped',
    image,
    devices: world.names.slice(0, 4),
    waves: '100%',
    maxConcurrent: 2,
    threshold: 4,
    policy: { ...quickPolicy, upgrade: { retries: 0, then: 'ask' } },
  });
  for (let waited = 0; waited < 600; waited++) {
    const detail = await world.detail(campaign.id);
    if (detail.devices[0]!.run?.state === 'waiting') break;
    await sleep(100);
  }
  const aborted = await world.api<CampaignRecord>('POST', `/api/campaigns/${campaign.id}/abort`, { operator: 'tester' });
  assert.equal(aborted.status, 200, JSON.stringify(aborted.json));
  const done = await world.waitForState(campaign.id, ['aborted']);
  const runs = await world.runs(campaign.id);
  assert.ok(
    runs.every((r) => !['running', 'waiting'].includes(r.state)),
    'every run reached its end',
  );
  for (const [i, device] of done.devices.entries()) {
    const now = await world.read(i + 1);
    if (device.state === 'verified') assert.equal(now.runningVersion, '2.1.0');
    else {
      assert.ok(['failed', 'notStarted'].includes(device.state), `${device.name}: ${device.state}`);
      assert.equal(now.runningVersion, before[i]!.runningVersion, `${device.name} runs its previous software`);
      assert.equal(now.configDigest, before[i]!.configDigest, `${device.name} has its configuration`);
    }
  }
  assert.equal(done.devices[0]!.state, 'failed', 'the waiting run was answered abort and rolled back');
  assert.ok(
    done.devices.some((d) => d.state === 'notStarted'),
    'devices whose turn had not come were not started',
  );
  assert.ok(runs.length <= 3, 'no run started after the abort beyond those under way');
  assert.ok(
    done.events.some((e) => e.kind === 'stateChanged' && e.detail.to === 'aborting' && e.actor === 'operator:tester' && e.cause === 'abortedByOperator'),
  );
  const repeat = await world.api('POST', `/api/campaigns/${campaign.id}/abort`, {});
  assert.equal(repeat.status, 409);
  for (const m of world.fleet.members) m.device.setFaults({});
});

test('offline and busy devices are tried again after the last wave and reported', { timeout: 120_000 }, async () => {
  const image = await world.image('2.2.0');
  const offline = world.fleet.members[4]!; // device 5: comes back for the retry
  const gone = world.fleet.members[5]!; // device 6: never comes back
  await offline.device.stop();
  await gone.device.stop();
  // Device 4 is busy with a run started by an operator, slowed so that it is still going.
  world.fleet.members[3]!.device.setFaults({ slowTransfers: { stepDelayMs: 150 } });
  const other = await world.manager.procedure.startRun({
    deviceId: (await world.manager.inventory.devices.find(world.names[3]!))!.id,
    imageSha256: await world.image('2.1.5'),
    startedBy: 'operator:someone-else',
    policy: quickPolicy,
  });
  const campaign = await create({
    name: 'spotty',
    image,
    devices: world.names.slice(3, 6),
    waves: '100%',
    offlineAttempts: 2,
    retryDelaySeconds: 1,
    threshold: 3,
    policy: quickPolicy,
  });

  for (let waited = 0; waited < 600; waited++) {
    const detail = await world.detail(campaign.id);
    if (detail.events.some((e) => e.kind === 'retryRound')) break;
    await sleep(100);
  }
  await offline.device.start();
  const done = await world.waitForState(campaign.id, ['completed'], 90);
  const byName = new Map(done.devices.map((d) => [d.name, d]));
  assert.equal(byName.get(world.names[4]!)!.state, 'verified', 'the device that came back was upgraded on its second attempt');
  assert.equal(byName.get(world.names[4]!)!.attempts, 2);
  assert.equal(byName.get(world.names[5]!)!.state, 'unreachable', 'the device that never answered is reported');
  assert.equal(byName.get(world.names[5]!)!.attempts, 2);
  const busy = byName.get(world.names[3]!)!;
  assert.ok(busy.state === 'verified' || busy.state === 'busy', `device 4: ${busy.state}`);
  assert.ok(
    done.events.some((e) => e.kind === 'deviceBusy' && e.message.includes(other.id)),
    'the other run is named',
  );
  assert.ok(done.events.filter((e) => e.kind === 'deviceOffline').length >= 2);
  const runs = await world.runs(campaign.id);
  assert.equal(runs.filter((r) => r.deviceId === other.deviceId && r.state === 'running').length, 0);
  assert.equal((await world.manager.procedure.runs.get(other.id))?.startedBy, 'operator:someone-else', 'the other run was left to its owner');
  assert.equal((await world.read(5)).runningVersion, '2.2.0');
  world.fleet.members[3]!.device.setFaults({});
});
