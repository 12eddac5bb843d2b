// The marks on a campaign's row, on a real PostgreSQL: the first run end after the campaign's look
// sends a wake (a NOTIFY on the campaigns' channel), the ends that follow before its next look send
// none (the wake pending stands for them), and once the campaign has looked the next end sends one
// again. An operator's request is marked until the campaign takes its messages, looks or not.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';
import { emptyCounters } from '../../src/manager/campaigns/model.ts';
import { checkCampaignRequest } from '../../src/manager/campaigns/settings.ts';
import { campaignChannel } from '../../src/manager/store/campaigns.ts';
import { temporaryDatabase } from '../helpers/temporary-database.ts';

const postgres = temporaryDatabase('campaign-wake');

async function addCampaign(campaignId: string): Promise<void> {
  const imageSha256 = randomBytes(32).toString('hex');
  await postgres.store.images.add({
    sha256: imageSha256,
    model: 'IAD-2400',
    version: '4.2.0',
    configFormat: 2,
    size: 1000,
    payloadSha256: randomBytes(32).toString('hex'),
    family: null,
  });
  const { settings } = checkCampaignRequest({ name: campaignId, image: imageSha256, model: 'IAD-2400', waves: '100%' });
  await postgres.store.campaigns.create(
    { campaignId, name: campaignId, imageSha256, imageVersion: '4.2.0', settings, waves: [], devices: [], createdBy: 'operator:tester', selector: {} },
    emptyCounters(),
  );
}

test('one wake is on its way to a campaign at a time: sent after its look, not again before the next', async () => {
  await addCampaign('campaign-w1');
  await addCampaign('campaign-w2');
  assert.equal(await postgres.store.campaigns.markWakePending('campaign-w1'), true, 'the first end wakes the campaign');
  assert.equal(await postgres.store.campaigns.markWakePending('campaign-w1'), false, 'the next end, before the campaign looked, sends nothing');
  assert.equal(await postgres.store.campaigns.markWakePending('campaign-w2'), true, "another campaign's wake is its own");

  await postgres.store.campaigns.wakeTaken('campaign-w1');
  assert.equal(await postgres.store.campaigns.markWakePending('campaign-w1'), true, 'after its look, an end wakes it again');
  assert.equal(await postgres.store.campaigns.markWakePending('campaign-unknown'), false, 'no campaign, no wake');
});

/** Listens on the campaigns' channel; `until(marker)` sends a marker NOTIFY and returns every payload heard before it. */
async function listenToWakes() {
  const client = new pg.Client({ connectionString: postgres.database.url });
  await client.connect();
  const heard: string[] = [];
  client.on('notification', (message) => heard.push(message.payload ?? ''));
  await client.query(`LISTEN ${campaignChannel}`);
  return {
    async until(marker: string): Promise<string[]> {
      await postgres.store.campaigns.markWakePending(marker);
      while (!heard.includes(marker)) await new Promise((resolve) => setTimeout(resolve, 5));
      return heard.splice(0).filter((payload) => payload !== marker);
    },
    close: () => client.end(),
  };
}

test('a wake is sent to the managers when the mark is set, not while it stands', async () => {
  await addCampaign('campaign-n1');
  await addCampaign('campaign-marker-1');
  await addCampaign('campaign-marker-2');
  const wakes = await listenToWakes();
  try {
    await postgres.store.campaigns.markWakePending('campaign-n1');
    await postgres.store.campaigns.markWakePending('campaign-n1');
    assert.deepEqual(await wakes.until('campaign-marker-1'), ['campaign-n1'], 'one wake for the two ends');
    await postgres.store.campaigns.wakeTaken('campaign-n1');
    await postgres.store.campaigns.markWakePending('campaign-n1');
    assert.deepEqual(await wakes.until('campaign-marker-2'), ['campaign-n1'], 'after the look, the next end sends one');
  } finally {
    await wakes.close();
  }
});

test("an operator's request is marked and wakes the campaign; the mark stays through looks until its messages are taken", async () => {
  await addCampaign('campaign-c1');
  await addCampaign('campaign-marker-3');
  const wakes = await listenToWakes();
  try {
    assert.deepEqual(await postgres.store.campaigns.wakeTaken('campaign-c1'), { controlsPending: false });
    await postgres.store.campaigns.markWakePending('campaign-c1');
    await postgres.store.campaigns.markControlsPending('campaign-c1');
    assert.deepEqual(await wakes.until('campaign-marker-3'), ['campaign-c1', 'campaign-c1'], 'a request wakes even when a wake is pending');
    assert.equal(await postgres.store.campaigns.wakePending('campaign-c1'), true);
    assert.deepEqual(await postgres.store.campaigns.wakeTaken('campaign-c1'), { controlsPending: true });
    assert.equal(await postgres.store.campaigns.wakePending('campaign-c1'), false, 'the look took the wake');
    assert.deepEqual(await postgres.store.campaigns.wakeTaken('campaign-c1'), { controlsPending: true }, 'a look that crashed and is run again sees it too');
    await postgres.store.campaigns.controlsTaken('campaign-c1');
    assert.deepEqual(await postgres.store.campaigns.wakeTaken('campaign-c1'), { controlsPending: false });
  } finally {
    await wakes.close();
  }
});
