// A campaign moves on when its runs end, not only when it next looks: with looks ten minutes apart,
// a campaign of one run at a time over three devices still runs all three, each started once the one
// before it ended (real manager, real virtual fleet).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createCampaign, maxSimultaneous, quickPolicy, startCampaignWorld, type CampaignWorld } from '../helpers/campaign-world.ts';

let world: CampaignWorld;

before(async () => {
  world = await startCampaignWorld({ devices: 3, tickSeconds: 600 });
});

after(async () => {
  await world?.stop();
});

test('each run that ends wakes its campaign, which starts the next device without waiting for its next look', { timeout: 120_000 }, async () => {
  const image = await world.image('1.1.0');
  const campaign = await createCampaign(world, {
    name: 'woken',
    image,
    model: 'IAD-2400',
    waves: '100%',
    maxConcurrent: 1,
    policy: quickPolicy,
    operator: 'tester',
  });
  // Without the wakes the second run would wait for the look ten minutes after the first started.
  const done = await world.waitForState(campaign.id, ['completed'], 90);
  assert.deepEqual(
    done.devices.map((d) => d.state),
    ['verified', 'verified', 'verified'],
  );
  const runs = await world.runs(campaign.id);
  assert.equal(runs.length, 3);
  assert.equal(maxSimultaneous(runs), 1, 'one run at a time, as asked');
});
