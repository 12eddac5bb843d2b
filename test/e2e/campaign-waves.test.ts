// Campaigns against a real manager and virtual fleet: waves run in order, concurrency is never
// exceeded, a wave's failures pause the campaign at its threshold, and the approval gate holds the
// next wave until an operator approves it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CampaignRecord } from '../../src/manager/store/campaigns.ts';
import { maxSimultaneous, createCampaign, quickPolicy, startCampaignWorld, type CampaignWorld } from '../helpers/campaign-world.ts';

let world: CampaignWorld;

before(async () => {
  world = await startCampaignWorld({ devices: 6 });
});

after(async () => {
  await world?.stop();
});

const create = (body: object): Promise<CampaignRecord> => createCampaign(world, body);

test('waves run one after the other, never more runs at once than allowed, every device upgraded', { timeout: 120_000 }, async () => {
  const image = await world.image('1.1.0');
  const campaign = await create({
    name: 'all six',
    image,
    model: 'IAD-2400',
    waves: '20%,50%,100%',
    maxConcurrent: 2,
    policy: quickPolicy,
    operator: 'tester',
  });
  assert.deepEqual(
    campaign.stages.map((s) => s.size),
    [2, 1, 3],
    '20% of 6 is 2 devices; 50% brings it to 3; 100% to 6',
  );
  const done = await world.waitForState(campaign.id, ['completed']);
  assert.deepEqual(
    done.devices.map((d) => d.state),
    Array(6).fill('verified'),
  );
  for (let n = 1; n <= 6; n++) assert.equal((await world.read(n)).runningVersion, '1.1.0', `device ${n} runs the new version`);

  const runs = await world.runs(campaign.id);
  assert.equal(runs.length, 6, 'one run per device');
  const waveOf = new Map(done.devices.map((d) => [d.runId, d.wave!]));
  for (let wave = 1; wave < 3; wave++) {
    const lastEnd = Math.max(...runs.filter((r) => waveOf.get(r.id) === wave - 1).map((r) => r.endedAt!.getTime()));
    const firstStart = Math.min(...runs.filter((r) => waveOf.get(r.id) === wave).map((r) => r.createdAt.getTime()));
    assert.ok(lastEnd <= firstStart, `wave ${wave + 1} starts after every run of wave ${wave} ended`);
  }
  assert.equal(maxSimultaneous(runs), 2, 'at most 2 runs at once, and 2 did run together');
  assert.ok(runs.every((r) => r.startedBy === 'policy'));
  const kinds = done.events.map((e) => e.kind);
  assert.deepEqual(kinds.filter((k) => k === 'waveStarted').length, 3);
  assert.ok(kinds.includes('completed'));
  assert.equal(done.events.at(-1)!.detail.to, 'completed', 'the last change is to completed');
  assert.equal(done.events[0]!.actor, 'operator:tester', 'created by the operator who asked');
});

test('a page of a campaign: a slice of its devices in order, its latest events, the counters of every wave', { timeout: 60_000 }, async () => {
  const [campaign] = (await world.api<CampaignRecord[]>('GET', '/api/campaigns')).json.filter((c) => c.name === 'all six');
  assert.ok(campaign, 'the first test made the campaign "all six"');
  type Detail = {
    page?: { offset: number; limit: number; devices: number };
    waves: Array<{ counters: Record<string, number> }>;
    devices: Array<{ deviceId: number; run: { state: string; phase: string } | null }>;
    events: Array<{ id: number; kind: string }>;
  };
  const whole = (await world.api<Detail>('GET', `/api/campaigns/${campaign.id}`)).json;
  const paged = (await world.api<Detail>('GET', `/api/campaigns/${campaign.id}?offset=2&limit=3&events=2`)).json;
  assert.equal(whole.page, undefined, 'no page asked, none given');
  assert.deepEqual(paged.page, { offset: 2, limit: 3, devices: 6 });
  assert.deepEqual(paged.devices, whole.devices.slice(2, 5), 'devices 3 to 5 in the campaign order, each with its run');
  assert.ok(
    paged.devices.every((d) => d.run?.state === 'verified'),
    'each device of the page shows its run, read for the page',
  );
  assert.deepEqual(
    paged.events.map((e) => e.id),
    whole.events.slice(-2).map((e) => e.id),
    'the two latest events, oldest first',
  );
  assert.deepEqual(paged.waves, whole.waves, 'every wave counted, not only the page');
  assert.deepEqual(
    paged.waves.map((w) => w.counters.verified),
    [2, 1, 3],
  );
  const refused = await world.api('GET', `/api/campaigns/${campaign.id}?limit=0`);
  assert.equal(refused.status, 400, 'a page of no devices is refused');
});

test('failures reaching the threshold pause the campaign; the next wave waits; resume carries on', { timeout: 120_000 }, async () => {
  const image = await world.image('1.2.0');
  // The first wave's two devices cannot take the image: their downloads fail.
  for (const n of [1, 2]) world.fleet.members[n - 1]!.device.setFaults({ failDownloads: { count: Infinity, cause: 'serverUnreachable' } });
  const campaign = await create({ name: 'threshold', image, devices: world.names, waves: '2,4', threshold: 2, maxConcurrent: 2, policy: quickPolicy });
  const paused = await world.waitForState(campaign.id, ['paused']);
  assert.equal(paused.campaign.pauseCause, 'threshold');
  const crossed = paused.events.find((e) => e.kind === 'thresholdCrossed');
  assert.ok(crossed, 'the crossing is recorded');
  assert.equal(crossed.actor, 'policy');
  const stateChange = paused.events.find((e) => e.kind === 'stateChanged' && e.detail.to === 'paused');
  assert.equal(stateChange?.cause, 'thresholdCrossed');
  assert.deepEqual(
    paused.devices.filter((d) => d.wave === 0).map((d) => d.state),
    ['failed', 'failed'],
  );
  assert.ok(
    paused.devices.filter((d) => d.wave === 1).every((d) => d.state === 'pending'),
    'the next wave has not started',
  );
  assert.equal((await world.runs(campaign.id)).length, 2);
  for (const n of [1, 2]) assert.equal((await world.read(n)).runningVersion, '1.1.0', 'a failed device still runs its old software');

  for (const n of [1, 2]) world.fleet.members[n - 1]!.device.setFaults({});
  const resumed = await world.api<CampaignRecord>('POST', `/api/campaigns/${campaign.id}/resume`, { operator: 'tester' });
  assert.equal(resumed.status, 200, JSON.stringify(resumed.json));
  const done = await world.waitForState(campaign.id, ['completed']);
  assert.deepEqual(
    done.devices.map((d) => d.state),
    ['failed', 'failed', 'verified', 'verified', 'verified', 'verified'],
  );
  assert.ok(done.events.some((e) => e.kind === 'stateChanged' && e.cause === 'resumedByOperator' && e.actor === 'operator:tester'));
});

test('approval gate: the next wave waits for an operator, a wrong wave number is refused', { timeout: 120_000 }, async () => {
  const image = await world.image('1.3.0');
  const campaign = await create({
    name: 'gated',
    image,
    devices: world.names.slice(0, 3),
    waves: '1,2',
    approval: true,
    maxConcurrent: 2,
    policy: quickPolicy,
  });
  const waiting = await world.waitForState(campaign.id, ['awaitingApproval']);
  assert.equal(waiting.campaign.stage?.number, 2);
  assert.equal((await world.runs(campaign.id)).length, 1, 'only the first wave ran');
  const wrong = await world.api('POST', `/api/campaigns/${campaign.id}/approve`, { wave: 3 });
  assert.equal(wrong.status, 409);
  const approved = await world.api<CampaignRecord>('POST', `/api/campaigns/${campaign.id}/approve`, { wave: 2, operator: 'boss' });
  assert.equal(approved.status, 200);
  const done = await world.waitForState(campaign.id, ['completed']);
  assert.deepEqual(
    done.devices.map((d) => d.state),
    ['verified', 'verified', 'verified'],
  );
  assert.ok(done.events.some((e) => e.kind === 'approved' && e.actor === 'operator:boss'));
  const again = await world.api('POST', `/api/campaigns/${campaign.id}/approve`, {});
  assert.equal(again.status, 409, 'nothing awaits approval any more');
});
