// A campaign is woken when one of its runs ends: only by run ends, only its own runs, and a burst of
// ends while a wake is being sent folds into one more wake.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { campaignOfRun, campaignRunId } from '../../src/manager/campaigns/model.ts';
import { wakeCampaignsOnRunEnd } from '../../src/manager/campaigns/run-end-wake.ts';
import { LiveEvents, type RunChanged } from '../../src/manager/live-events.ts';

const silentLog = { warn: () => {} };

function change(runId: string, kind: string): RunChanged {
  return { runId, deviceId: 1, state: 'verified', phase: 'verify', lastEvent: { kind, message: kind, cause: null, at: new Date().toISOString() } };
}

/** A send that waits until the test lets it go, recording what it was asked. */
function heldSends() {
  const sent: string[] = [];
  const waiting: Array<() => void> = [];
  return {
    sent,
    send: (campaignId: string) => {
      sent.push(campaignId);
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
    /** Lets every send under way finish, and waits for what they set off. */
    async release() {
      for (const resolve of waiting.splice(0)) resolve();
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

test('the campaign of a run is read back from the run ID a campaign gives it; other runs have none', () => {
  assert.equal(campaignOfRun(campaignRunId('campaign-12', 40, 2)), 'campaign-12');
  assert.equal(campaignOfRun(campaignRunId('night-d1-a1', 3, 1)), 'night-d1-a1');
  assert.equal(campaignOfRun('run-17'), undefined);
});

test('a run end wakes its campaign; other events and runs outside campaigns wake nothing', async () => {
  const live = new LiveEvents();
  const sends = heldSends();
  const stop = wakeCampaignsOnRunEnd(live, sends.send, silentLog);
  live.emit('runChanged', change(campaignRunId('campaign-1', 5, 1), 'phaseSucceeded'));
  live.emit('runChanged', change('run-9', 'runEnded'));
  live.emit('runChanged', { ...change(campaignRunId('campaign-1', 5, 1), 'runEnded'), lastEvent: undefined });
  assert.deepEqual(sends.sent, []);
  live.emit('runChanged', change(campaignRunId('campaign-1', 5, 1), 'runEnded'));
  live.emit('runChanged', change(campaignRunId('campaign-2', 6, 1), 'runEnded'));
  assert.deepEqual(sends.sent, ['campaign-1', 'campaign-2']);
  stop();
  await sends.release();
  live.emit('runChanged', change(campaignRunId('campaign-1', 7, 1), 'runEnded'));
  assert.equal(sends.sent.length, 2, 'stopped: no more wakes');
});

test('run ends while a wake is being sent fold into one more wake, sent once the first is done', async () => {
  const live = new LiveEvents();
  const sends = heldSends();
  wakeCampaignsOnRunEnd(live, sends.send, silentLog);
  for (let device = 1; device <= 10; device++) live.emit('runChanged', change(campaignRunId('campaign-1', device, 1), 'runEnded'));
  assert.equal(sends.sent.length, 1);
  await sends.release();
  assert.equal(sends.sent.length, 2, 'the nine ends that came meanwhile: one more wake');
  await sends.release();
  assert.equal(sends.sent.length, 2, 'nothing more ended: no more wakes');
});

test('a wake that cannot be sent is logged, and the next run end wakes the campaign again', async () => {
  const live = new LiveEvents();
  const warnings: unknown[] = [];
  let attempts = 0;
  wakeCampaignsOnRunEnd(
    live,
    async () => {
      attempts++;
      if (attempts === 1) throw new Error('database unreachable');
    },
    { warn: (details: unknown) => warnings.push(details) },
  );
  live.emit('runChanged', change(campaignRunId('campaign-1', 1, 1), 'runEnded'));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(warnings.length, 1);
  live.emit('runChanged', change(campaignRunId('campaign-1', 2, 1), 'runEnded'));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(attempts, 2);
});
