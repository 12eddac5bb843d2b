// A campaign's wait between two looks: ended by a wake heard for it, not by another campaign's; a wake
// heard while it was not waiting is held for its next wait; the campaign's mark is read between the
// wakes; a stopped manager's waits never end.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { CampaignSignals } from '../../src/manager/campaigns/campaign-signals.ts';

/** A campaign's mark that is never set, counting its reads. */
function unmarked() {
  const mark = {
    reads: 0,
    read: async () => {
      mark.reads++;
      return false;
    },
  };
  return mark;
}

const hour = 3_600_000;

// The waits' timers do not hold a process up (a manager that stops does not wait for them): this does.
const keepAlive = setInterval(() => {}, hour);
after(() => clearInterval(keepAlive));

test('a wake heard for a waiting campaign ends its wait; one for another campaign does not', { timeout: 10_000 }, async () => {
  const signals = new CampaignSignals();
  const mark = unmarked();
  let ended = false;
  const waiting = signals.wait('campaign-1', hour, mark.read).then(() => {
    ended = true;
  });
  signals.heard('campaign-2');
  await sleep(20);
  assert.equal(ended, false, "another campaign's wake leaves it waiting");
  signals.heard('campaign-1');
  await waiting;
  assert.equal(mark.reads, 0, 'woken in memory: its mark was not read');
});

test('a wake heard while the campaign was not waiting ends its next wait at once, and only that one', { timeout: 10_000 }, async () => {
  const signals = new CampaignSignals({ rereadMs: 10 });
  signals.heard('campaign-1');
  const mark = unmarked();
  await signals.wait('campaign-1', hour, mark.read);
  assert.equal(mark.reads, 0, 'the held wake ended it before any read');
  await signals.wait('campaign-1', 50, mark.read);
  assert.ok(mark.reads > 0, 'the wake was taken: the next wait waits, reading its mark');
});

test('a wait reads the campaign mark between wakes, and ends when it is set', { timeout: 10_000 }, async () => {
  const signals = new CampaignSignals({ rereadMs: 5 });
  let reads = 0;
  await signals.wait('campaign-1', hour, async () => ++reads === 3);
  assert.equal(reads, 3);
});

test('a wait ends at its time when nothing wakes it', { timeout: 10_000 }, async () => {
  const signals = new CampaignSignals({ rereadMs: 5 });
  const mark = unmarked();
  await signals.wait('campaign-1', 30, mark.read);
  assert.ok(mark.reads >= 1);
});

test('once the manager stops, a wait under way and the next one never end, and read nothing', { timeout: 10_000 }, async () => {
  const signals = new CampaignSignals({ rereadMs: 5 });
  const mark = unmarked();
  const under = signals.wait('campaign-1', 40, mark.read);
  signals.stop();
  const next = signals.wait('campaign-2', 40, mark.read);
  const outcome = await Promise.race([Promise.all([under, next]).then(() => 'ended'), sleep(200).then(() => 'still waiting')]);
  assert.equal(outcome, 'still waiting');
  assert.equal(mark.reads, 0);
});
