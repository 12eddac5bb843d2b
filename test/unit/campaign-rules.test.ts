// The campaign's pure rules, without devices: waves, thresholds, windows (across midnight, in a time
// zone), version ranges, what a run's timeline counts as, and the request checks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runVerdict } from '../../src/manager/campaigns/run-verdict.ts';
import { checkCampaignRequest, CampaignRequestError } from '../../src/manager/campaigns/settings.ts';
import { inVersionRange, parseVersionRange } from '../../src/manager/campaigns/version-range.ts';
import { failuresThatPause, parseThreshold, parseWaves, waveSizes } from '../../src/manager/campaigns/waves.ts';
import { parseWindow, untilWindowOpens, windowIsOpen } from '../../src/manager/campaigns/window.ts';

test('waves: cumulative percentages and counts into wave sizes, empty waves left out', () => {
  assert.deepEqual(waveSizes(parseWaves('1%,10%,50%,100%'), 1000), [10, 90, 400, 500]);
  assert.deepEqual(waveSizes(parseWaves('1%,10%,50%,100%'), 4), [1, 1, 2]);
  assert.deepEqual(waveSizes(parseWaves('2,3'), 10), [2, 3, 5], 'what the counts leave makes a last wave');
  assert.deepEqual(waveSizes(parseWaves(['5', 5]), 3), [3]);
  assert.throws(() => parseWaves('10%,50%'), /must reach 100%/);
  assert.throws(() => parseWaves('50%,10%,100%'), /must grow/);
  assert.throws(() => parseWaves('1,10%'), /not both/);
  assert.throws(() => parseWaves('0'), /at least 1/);
});

test('thresholds: a count, or a share of the wave rounded up, never less than one failure', () => {
  assert.equal(failuresThatPause(parseThreshold(2), 100), 2);
  assert.equal(failuresThatPause(parseThreshold('5%'), 100), 5);
  assert.equal(failuresThatPause(parseThreshold('5%'), 10), 1);
  assert.equal(failuresThatPause(parseThreshold('5%'), 41), 3);
  assert.throws(() => parseThreshold('0'));
  assert.throws(() => parseThreshold('150%'));
});

test('windows: open hours in the zone, across midnight, and the wait until they open', () => {
  const paris = parseWindow('22:00-04:00', 'Europe/Paris');
  // 2026-01-15 in winter: Paris is UTC+1.
  assert.equal(windowIsOpen(paris, Date.parse('2026-01-15T21:30:00Z')), true, '22:30 Paris');
  assert.equal(windowIsOpen(paris, Date.parse('2026-01-15T02:59:00Z')), true, '03:59 Paris');
  assert.equal(windowIsOpen(paris, Date.parse('2026-01-15T03:00:00Z')), false, '04:00 Paris: closed');
  assert.equal(untilWindowOpens(paris, Date.parse('2026-01-15T20:00:00Z')), 3600_000, '21:00 Paris: an hour to wait');
  const day = parseWindow('02:00-05:00', 'UTC');
  assert.equal(windowIsOpen(day, Date.parse('2026-07-01T02:00:00Z')), true);
  assert.equal(windowIsOpen(day, Date.parse('2026-07-01T05:00:00Z')), false);
  assert.equal(untilWindowOpens(day, Date.parse('2026-07-01T05:00:00Z')), 21 * 3600_000);
  assert.throws(() => parseWindow('02:00-02:00', 'UTC'), /same time/);
  assert.throws(() => parseWindow('25:00-02:00', 'UTC'), /HH:MM/);
  assert.throws(() => parseWindow('02:00-05:00', 'Mars/Olympus'), /unknown time zone/);
});

test('version ranges', () => {
  const range = parseVersionRange('>=1.0.0 <2.0.0');
  assert.equal(inVersionRange(range, '1.4.10'), true);
  assert.equal(inVersionRange(range, '2.0.0'), false);
  assert.equal(inVersionRange(range, '0.9'), false);
  assert.equal(inVersionRange(parseVersionRange('<1.2 || >=3'), '3.1.0'), true);
  assert.throws(() => parseVersionRange('>=1.0 <'), /not a comparator/);
});

test('run verdicts: every kind of failure counts, an unreachable device in preflight is offline', () => {
  const ended = (state: 'verified' | 'failed' | 'rolledBack', phase = 'verify') => ({ state, phase, outcome: { state, summary: state } });
  assert.equal(runVerdict(ended('verified'), [{ phase: 'verify', kind: 'phaseSucceeded', cause: null }]).result, 'verified');
  const recovered = runVerdict(ended('verified'), [
    { phase: 'upgrade', kind: 'phaseFailed', cause: 'fellBack' },
    { phase: 'upgrade', kind: 'operationStarted', cause: null, operation: 'revertSoftware' },
  ]);
  assert.deepEqual([recovered.result, recovered.failures], ['recovered', ['bootFallback', 'reverted']]);
  // "Nothing to revert" in the timeline is no revert: none was ordered.
  const nothingToRevert = runVerdict(ended('verified'), [
    { phase: 'upgrade', kind: 'phaseFailed', cause: 'transferTimeout' },
    { phase: 'upgrade', kind: 'revert', cause: 'nothingToRevert' },
  ]);
  assert.deepEqual(nothingToRevert.failures, ['upgradeFailed']);
  assert.equal(runVerdict(ended('failed', 'backup'), [{ phase: 'backup', kind: 'phaseFailed', cause: 'serverUnreachable' }]).cause, 'backupFailed');
  assert.equal(runVerdict(ended('rolledBack', 'rollback'), [{ phase: 'restore', kind: 'phaseFailed', cause: 'configRejected' }]).cause, 'restoreFailed');
  assert.equal(runVerdict(ended('failed', 'backup'), [{ phase: 'backup', kind: 'phaseFailed', cause: 'silent' }]).cause, 'timeout');
  const offline = runVerdict(ended('failed', 'preflight'), [
    { phase: 'preflight', kind: 'phaseStarted', cause: null },
    { phase: 'preflight', kind: 'phaseFailed', cause: 'silent' },
    { phase: 'preflight', kind: 'runEnded', cause: 'failed' },
  ]);
  assert.equal(offline.result, 'offline');
  assert.equal(runVerdict(ended('failed', 'preflight'), [{ phase: 'preflight', kind: 'phaseFailed', cause: 'wrongModel' }]).result, 'failed');
});

test('campaign requests: every problem listed at once', () => {
  try {
    checkCampaignRequest({ name: '', image: 'x', waves: '10%', maxConcurrent: 0, window: '02:00-03:00', colour: 'red' });
    assert.fail('accepted');
  } catch (error) {
    assert.ok(error instanceof CampaignRequestError);
    assert.equal(error.problems.length, 6, error.problems.join('\n'));
  }
  const { settings } = checkCampaignRequest({ name: 'ok', image: 'abc', model: 'IAD-2400', waves: '1%,100%', window: '23:00-01:00', timeZone: 'UTC' });
  assert.equal(settings.maxConcurrent, 10);
  assert.deepEqual(settings.threshold, { kind: 'percent', value: 5 });
});

test('run verdicts: a run that found the device up to date skips it, like the plan does', () => {
  const verdict = runVerdict({ state: 'upToDate', phase: 'preflight', outcome: { state: 'upToDate', summary: 'already up to date' } }, [
    { phase: 'preflight', kind: 'phaseStarted', cause: null },
    { phase: 'preflight', kind: 'phaseSucceeded', cause: null },
    { phase: 'preflight', kind: 'runEnded', cause: 'upToDate' },
  ]);
  assert.deepEqual(verdict, { result: 'skipped', cause: 'alreadyCurrent', failures: [], summary: 'already up to date' });
});

test('campaign run options: transport, time limits and reinstall are checked with the rest', () => {
  const base = { name: 'c', image: 'abcdef', model: 'IAD-2400', waves: '100%' };
  const { settings } = checkCampaignRequest({ ...base, transport: 'ftp', timeLimits: { download: 600 }, reinstall: true });
  assert.deepEqual(settings.runOptions, { transport: 'ftp', timeLimits: { download: 600 }, reinstall: true });
  assert.throws(
    () => checkCampaignRequest({ ...base, transport: 'http', timeLimits: { reboot: 1 } }),
    (error: Error) => error instanceof CampaignRequestError && /transport must be tftp or ftp/.test(error.message),
  );
});
