// A campaign's journal on a real PostgreSQL: a step's answer is recorded at its place and given back to
// a later execution of the campaign without doing the step's work again; the key a step's writes carry
// is its place, the same when the step is done again after a crash; an execution that finds another
// answer where it went on from its own stops, and one whose code changed under a recorded campaign is
// told where.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Error as DBOSErrors } from '@dbos-inc/dbos-sdk';
import { CampaignJournal, CampaignStepMismatchError } from '../../src/manager/campaigns/campaign-journal.ts';
import { temporaryDatabase } from '../helpers/temporary-database.ts';

const postgres = temporaryDatabase('campaign-journal');
const once = { retries: false };

test("a later execution gets the recorded answers back, in order, without the steps' work", async () => {
  const keys: string[] = [];
  const first = await CampaignJournal.open(postgres.store.campaignSteps, 'campaign-j1');
  assert.deepEqual(
    await first.step(
      'look',
      async (key) => {
        keys.push(key);
        return { now: 1000, observations: [{ deviceId: 3, state: 'ended' }] };
      },
      once,
    ),
    { now: 1000, observations: [{ deviceId: 3, state: 'ended' }] },
  );
  await first.step('save', async (key) => void keys.push(key), once);
  assert.deepEqual(keys, ['journal:1', 'journal:2'], 'the key of a step is its place');

  const replay = await CampaignJournal.open(postgres.store.campaignSteps, 'campaign-j1');
  const refused = async () => assert.fail('a recorded step is not done again');
  assert.deepEqual(await replay.step('look', refused, once), { now: 1000, observations: [{ deviceId: 3, state: 'ended' }] });
  assert.equal(await replay.step('save', refused, once), null, 'an answer of nothing is recorded as null');
  assert.equal(await replay.step('look', async () => ({ now: 2000 }), once).then((look) => look.now), 2000, 'past the record, steps are done');

  const other = await CampaignJournal.open(postgres.store.campaignSteps, 'campaign-j2');
  assert.equal(await other.step('look', async () => 'its own', once), 'its own', "another campaign's journal is its own");
});

test('a step done again after a crash carries the same key; the same answer goes on, another stops the execution', async () => {
  const keys: string[] = [];
  // Two executions that both reached step 1 before either recorded it (a manager taken over while it ran).
  const one = await CampaignJournal.open(postgres.store.campaignSteps, 'campaign-j3');
  const two = await CampaignJournal.open(postgres.store.campaignSteps, 'campaign-j3');
  const createRuns = async (key: string) => {
    keys.push(key);
    return ['run-a'];
  };
  await one.step('createRuns', createRuns, once);
  assert.deepEqual(await two.step('createRuns', createRuns, once), ['run-a'], 'the same answer: it goes on');
  assert.deepEqual(keys, ['journal:1', 'journal:1']);
  await one.step('look', async () => ({ now: 1 }), once);
  await assert.rejects(
    two.step('look', async () => ({ now: 2 }), once),
    DBOSErrors.DBOSWorkflowConflictError,
    'another answer stands: this execution stops',
  );
});

test('a recorded step of another name is refused, naming the campaign and the place', async () => {
  const first = await CampaignJournal.open(postgres.store.campaignSteps, 'campaign-j4');
  await first.step('look', async () => ({ now: 1 }), once);
  const changed = await CampaignJournal.open(postgres.store.campaignSteps, 'campaign-j4');
  await assert.rejects(
    changed.step('save', async () => undefined, once),
    (error: unknown) => {
      assert.ok(error instanceof CampaignStepMismatchError);
      assert.match(error.message, /campaign campaign-j4: step 1 is save .* but look/);
      return true;
    },
  );
});
