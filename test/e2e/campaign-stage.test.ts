// A staging campaign against a real manager and virtual fleet: every device is staged at once, outside
// the maintenance window; activations come only inside it, wave by wave; a window that closes
// mid-campaign leaves the devices not yet activated staged, and the next window finishes them. The
// campaign clock is moved by the test.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { localSecondOfDay } from '../../src/manager/campaigns/window.ts';
import { createCampaign, quickPolicy, startCampaignWorld, type CampaignWorld } from '../helpers/campaign-world.ts';

const zone = 'Europe/Paris';
let world: CampaignWorld;

before(async () => {
  world = await startCampaignWorld({ devices: 4, rebootMs: 600 });
});

after(async () => {
  await world?.stop();
});

/** Moves the campaign clock to `hour`:00 local time in Paris, `days` days on from now. */
function setClock(hour: number, days = 0): void {
  const now = Date.now();
  const toTarget = (((hour * 3600 - localSecondOfDay(now, zone)) % 86_400) + 86_400) % 86_400;
  world.clock.offsetMs = (toTarget + days * 86_400) * 1000 - (now % 1000);
}

test('staged at once outside the window, activated wave by wave inside it; a closing window leaves the rest staged until the next', {
  timeout: 180_000,
}, async () => {
  setClock(1); // 01:00: the 02:00-05:00 window is closed.
  try {
    const image = await world.image('5.0.0');
    const found = await Promise.all([1, 2, 3, 4].map((n) => world.read(n)));
    const campaign = await createCampaign(world, {
      name: 'staged night',
      image,
      devices: world.names,
      waves: '2,4',
      window: '02:00-05:00',
      timeZone: zone,
      stage: true,
      maxConcurrent: 4,
      policy: quickPolicy,
    });

    // Outside the window every device is staged, none activated.
    for (let waited = 0; ; waited++) {
      const detail = await world.detail(campaign.id);
      if (detail.devices.every((d) => d.state === 'staged') && detail.campaign.state === 'waitingWindow') break;
      assert.ok(waited < 600, `every device staged: ${detail.devices.map((d) => d.state).join(',')} (${detail.campaign.state})`);
      await sleep(100);
    }
    for (const [i, before] of found.entries()) {
      const now = await world.read(i + 1);
      assert.equal(now.runningVersion, before.runningVersion, `device ${i + 1} still runs its software`);
      assert.equal(now.banks.find((bank) => bank.bank !== now.activeBank)?.version, '5.0.0', `device ${i + 1} holds the new software, staged`);
    }

    // 03:00: the window opens and wave 1 is activated. As soon as it is under way, the window closes.
    setClock(3);
    const [first, second] = [world.names.slice(0, 2), world.names.slice(2)];
    for (let waited = 0; ; waited++) {
      const detail = await world.detail(campaign.id);
      if (detail.devices.some((d) => first.includes(d.name) && d.state === 'running')) break;
      assert.ok(waited < 600, 'wave 1 activated in the window');
      await sleep(20);
    }
    setClock(6); // 06:00: closed.
    for (let waited = 0; ; waited++) {
      const detail = await world.detail(campaign.id);
      if (detail.devices.filter((d) => first.includes(d.name)).every((d) => d.state === 'verified')) break;
      assert.ok(waited < 600, 'wave 1, activated inside the window, finishes after it closed');
      await sleep(100);
    }
    // Wave 2 stays staged while the window is closed, its devices on their old software.
    await sleep(2000);
    const closed = await world.detail(campaign.id);
    assert.deepEqual(
      closed.devices.filter((d) => second.includes(d.name)).map((d) => d.state),
      ['staged', 'staged'],
    );
    assert.equal(closed.campaign.state, 'waitingWindow');
    for (const n of [3, 4]) assert.equal((await world.read(n)).runningVersion, found[n - 1]!.runningVersion, `device ${n} not activated outside the window`);

    // The next night's window finishes them.
    setClock(3, 1);
    const done = await world.waitForState(campaign.id, ['completed'], 90);
    assert.deepEqual(
      done.devices.map((d) => d.state),
      ['verified', 'verified', 'verified', 'verified'],
    );
    for (const n of [1, 2, 3, 4]) assert.equal((await world.read(n)).runningVersion, '5.0.0');

    // Every run was activated by the campaign's policy, not by an operator.
    for (const run of await world.runs(campaign.id)) {
      const { json } = await world.api<{ timeline: Array<{ kind: string; actor: string; at: string; detail: { answer?: string } }> }>(
        'GET',
        `/api/runs/${run.id}`,
      );
      const activation = json.timeline.find((e) => e.kind === 'decision' && e.detail.answer === 'activate');
      assert.equal(activation?.actor, 'policy', `run ${run.id} activated by the campaign`);
    }
    assert.ok(done.events.some((e) => e.kind === 'stateChanged' && e.detail.to === 'waitingWindow'));
  } finally {
    world.clock.offsetMs = 0;
  }
});
