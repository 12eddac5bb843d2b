// The campaign scheduler with staging, as a pure state machine: staging starts for every wave at once,
// whatever the window; activations come wave by wave and only inside the window; a staged run counts
// against no concurrency; one whose activation was refused is tried again after the retry delay.
// A look at the campaign's runs answers only what changed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CampaignPlan } from '../../src/manager/campaigns/model.ts';
import { readRuns } from '../../src/manager/campaigns/run-watch.ts';
import { CampaignScheduler, type WindowView } from '../../src/manager/campaigns/scheduler.ts';
import { defaultPhasePolicy } from '../../src/manager/store/records.ts';

const closed: WindowView = { open: false, untilOpenMs: 3_600_000 };
const open: WindowView = { open: true, untilOpenMs: 0 };
const timing = { tickSeconds: 1, idleSeconds: 60, windowRecheckSeconds: 30 };

function plan(devices: number, waveSizes: number[], maxConcurrent: number): CampaignPlan {
  let first = 0;
  const waves = waveSizes.map((size, index) => ({ index, kind: 'wave' as const, number: index + 1, size, pauseAt: 99 }));
  const planned = waveSizes.flatMap((size, wave) => Array.from({ length: size }, () => ({ deviceId: ++first, name: `d${first}`, wave })));
  assert.equal(planned.length, devices);
  const policy = {
    preflight: defaultPhasePolicy,
    backup: defaultPhasePolicy,
    upgrade: defaultPhasePolicy,
    migrate: defaultPhasePolicy,
    restore: defaultPhasePolicy,
  };
  return {
    campaignId: 'c1',
    name: 'night',
    imageSha256: 'ab'.repeat(32),
    imageVersion: '2.0.0',
    settings: {
      waves: [],
      maxConcurrent,
      ratePerMinute: null,
      threshold: { kind: 'count', value: 99 },
      approval: false,
      window: null,
      policy,
      offlineAttempts: 1,
      retryDelaySeconds: 30,
      runOptions: { stage: true },
    },
    waves,
    devices: planned,
    createdBy: 'operator:ann',
    selector: {},
  };
}

/** Starts what the tick says, as the workflow would, under run ids r<device>. */
function started(scheduler: CampaignScheduler, tick: ReturnType<CampaignScheduler['tick']>, now: number): number[] {
  for (const { deviceId } of tick.start) scheduler.onStarted(deviceId, `r${deviceId}`, now);
  return tick.start.map((s) => s.deviceId);
}

test('every wave stages at once outside the window, within the concurrency; staged runs free their slots', () => {
  const scheduler = new CampaignScheduler(plan(4, [2, 2], 3), timing);
  assert.deepEqual(started(scheduler, scheduler.tick(0, closed), 0), [1, 2, 3], 'three at once, from both waves');
  scheduler.onObservations([1, 2, 3].map((d) => ({ deviceId: d, runId: `r${d}`, state: 'staged' as const })));
  const next = scheduler.tick(1000, closed);
  assert.deepEqual(started(scheduler, next, 1000), [4], 'staged runs count against no concurrency');
  assert.deepEqual(next.activate, [], 'nothing activated outside the window');
  scheduler.onObservations([{ deviceId: 4, runId: 'r4', state: 'staged' }]);
  scheduler.tick(2000, closed);
  assert.equal(scheduler.snapshot().state, 'waitingWindow');
});

test('inside the window, only the current wave is activated; the next wave follows once it has ended', () => {
  const scheduler = new CampaignScheduler(plan(4, [2, 2], 4), timing);
  started(scheduler, scheduler.tick(0, closed), 0);
  scheduler.onObservations([1, 2, 3, 4].map((d) => ({ deviceId: d, runId: `r${d}`, state: 'staged' as const })));
  assert.deepEqual(scheduler.tick(1000, open).activate, ['r1', 'r2']);
  scheduler.onObservations([1, 2].map((d) => ({ deviceId: d, runId: `r${d}`, state: 'running' as const })));
  assert.deepEqual(scheduler.tick(2000, open).activate, [], 'wave 2 waits for wave 1');
  scheduler.onObservations(
    [1, 2].map((d) => ({
      deviceId: d,
      runId: `r${d}`,
      state: 'ended' as const,
      verdict: { result: 'verified' as const, cause: null, failures: [], summary: 'ok' },
    })),
  );
  // The window closed meanwhile: wave 2 stays staged.
  assert.deepEqual(scheduler.tick(3000, closed).activate, []);
  assert.equal(scheduler.snapshot().state, 'waitingWindow');
  assert.deepEqual(scheduler.tick(4000, open).activate, ['r3', 'r4']);
});

test('an activation refused (the run is staged again) is sent again only after the retry delay', () => {
  const scheduler = new CampaignScheduler(plan(1, [1], 1), timing);
  started(scheduler, scheduler.tick(0, closed), 0);
  scheduler.onObservations([{ deviceId: 1, runId: 'r1', state: 'staged' }]);
  assert.deepEqual(scheduler.tick(1000, open).activate, ['r1']);
  scheduler.onObservations([{ deviceId: 1, runId: 'r1', state: 'staged' }]);
  assert.deepEqual(scheduler.tick(2000, open).activate, [], 'not again at once');
  assert.deepEqual(scheduler.tick(31_000, open).activate, ['r1'], 'again after 30 s');
});

test('an aborted campaign aborts its staged runs too: each device keeps the software it runs', () => {
  const scheduler = new CampaignScheduler(plan(2, [1, 1], 2), timing);
  started(scheduler, scheduler.tick(0, closed), 0);
  scheduler.onObservations([1, 2].map((d) => ({ deviceId: d, runId: `r${d}`, state: 'staged' as const })));
  scheduler.onControl({ kind: 'abort', actor: 'operator:ann' });
  const tick = scheduler.tick(1000, open);
  assert.deepEqual(tick.abortWaiting, ['r1', 'r2']);
  assert.deepEqual(tick.activate, [], 'nothing activated once aborting');
  assert.deepEqual(scheduler.tick(2000, open).abortWaiting, [], 'each answered once');
});

test('a look at the runs answers only those not where the campaign last saw them', async () => {
  const standings = [
    { id: 'r1', state: 'running' },
    { id: 'r2', state: 'waiting' },
    { id: 'r3', state: 'running' },
  ];
  const store = { standings: async () => standings, timelineLines: async () => [] } as unknown as Parameters<typeof readRuns>[0];
  const observed = await readRuns(store, [
    { deviceId: 1, runId: 'r1', state: 'running' },
    { deviceId: 2, runId: 'r2', state: 'running' },
    { deviceId: 3, runId: 'r3', state: 'running' },
    { deviceId: 4, runId: 'r4', state: 'running' },
  ]);
  assert.deepEqual(observed, [
    { deviceId: 2, runId: 'r2', state: 'waiting' },
    { deviceId: 4, runId: 'r4', state: 'missing' },
  ]);
});
