// The mark that a wake is on its way to a campaign, on a real PostgreSQL: the first run end after the
// campaign's look sends a wake, the ends that follow before its next look send none (the wake pending
// stands for them), and once the campaign has looked the next end sends one again.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { emptyCounters } from '../../src/manager/campaigns/model.ts';
import { checkCampaignRequest } from '../../src/manager/campaigns/settings.ts';
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
