// The procedure's decisions as pure functions: no device, no database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTimeLimits, resolveRunOptions, RunOptionsError } from '../../src/manager/procedure/run-options.ts';
import {
  acceptsSupplied,
  alreadyInstalled,
  cancelFailure,
  afterFailedUpgrade,
  afterFailure,
  canKeepNewSoftware,
  failureActor,
  isPermanent,
  judgeReboot,
  judgeUpgrade,
  judgeVerify,
  needsMigration,
  nextRollbackStep,
  restoreNeedsRemigration,
  runOutcome,
  startsAfterCancel,
  type DeviceFacts,
} from '../../src/manager/procedure/decisions.ts';
import { operationIndex, operationIndexParts, runBlockOf } from '../../src/manager/procedure/operation-index.ts';
import { maxBackoffSeconds, PolicyError, resolvePolicy } from '../../src/manager/procedure/policy.ts';
import { defaultPhasePolicy } from '../../src/manager/store/records.ts';

const retryTwiceThenAsk = { retries: 2, backoffSeconds: 5, then: 'ask' as const };

test('after a failure: retry with doubling backoff while retries remain, then the policy says', () => {
  assert.deepEqual(afterFailure(retryTwiceThenAsk, 1, 'transferTimeout'), { action: 'retry', backoffSeconds: 5 });
  assert.deepEqual(afterFailure(retryTwiceThenAsk, 2, 'transferTimeout'), { action: 'retry', backoffSeconds: 10 });
  assert.deepEqual(afterFailure(retryTwiceThenAsk, 3, 'transferTimeout'), { action: 'ask' });
  assert.deepEqual(afterFailure({ ...retryTwiceThenAsk, then: 'abort' }, 3, 'silent'), { action: 'abort' });
  assert.deepEqual(afterFailure({ retries: 0, backoffSeconds: 1, then: 'abort' }, 1, 'silent'), { action: 'abort' });
  assert.deepEqual(afterFailure({ retries: 20, backoffSeconds: 3600, then: 'ask' }, 20, 'busy'), { action: 'retry', backoffSeconds: maxBackoffSeconds });
  assert.throws(() => afterFailure(retryTwiceThenAsk, 0, 'silent'), RangeError);
});

test('a failure that repeating cannot cure skips the retries', () => {
  for (const cause of ['imageBadSignature', 'imageWrongModel', 'wrongModel', 'migrationFailed', 'configInvalid'] as const) {
    assert.ok(isPermanent(cause), cause);
    assert.deepEqual(afterFailure(retryTwiceThenAsk, 1, cause), { action: 'ask' });
  }
  for (const cause of ['silent', 'transferTimeout', 'imageCorrupt', 'bootFailed', 'configFormatMismatch', 'powerLoss'] as const) {
    assert.ok(!isPermanent(cause), cause);
  }
});

test('the default policy is retry twice with backoff, then ask', () => {
  const policy = resolvePolicy();
  for (const phase of ['preflight', 'backup', 'upgrade', 'migrate', 'restore'] as const) assert.deepEqual(policy[phase], defaultPhasePolicy);
  assert.deepEqual(defaultPhasePolicy.retries, 2);
  assert.equal(defaultPhasePolicy.then, 'ask');
});

test('a policy request is completed with defaults and checked', () => {
  const policy = resolvePolicy({ upgrade: { then: 'abort' }, restore: { retries: 0 } });
  assert.deepEqual(policy.upgrade, { ...defaultPhasePolicy, then: 'abort' });
  assert.deepEqual(policy.restore, { ...defaultPhasePolicy, retries: 0 });
  assert.deepEqual(policy.backup, defaultPhasePolicy);
  for (const bad of [
    { verify: {} },
    { upgrade: { retries: 1.5 } },
    { upgrade: { retries: 99 } },
    { backup: { backoffSeconds: -1 } },
    { backup: { then: 'retry' } },
    { backup: { when: 'never' } },
  ]) {
    assert.throws(() => resolvePolicy(bad as never), PolicyError, JSON.stringify(bad));
  }
});

test('step 160: revert only when the device runs the bank that was inactive before', () => {
  const on = (activeBank: 'bankA' | 'bankB', runningVersion = '1.0.0') => ({ activeBank, runningVersion });
  assert.equal(afterFailedUpgrade(on('bankA'), on('bankB', '2.0.0')), 'revert');
  assert.equal(afterFailedUpgrade(on('bankA'), on('bankA')), 'nothingToRevert');
  assert.equal(afterFailedUpgrade(on('bankB'), on('bankB')), 'nothingToRevert');
  assert.equal(afterFailedUpgrade(on('bankA'), undefined), 'unknown');
});

test('a rollback on a device that reports no configuration digest restores the original once', () => {
  const original = { runningVersion: '1.0.0', activeBank: 'bankA' as const, configDigest: 'abc' };
  const now = { ...original, configDigest: null };
  assert.equal(nextRollbackStep(original, now), 'restoreOriginal');
  assert.equal(nextRollbackStep(original, now, true), 'done');
  assert.equal(nextRollbackStep(original, { ...now, activeBank: 'bankB' }, true), 'revert');
  // Nothing was backed up (the family keeps no configuration): back on the old software is all.
  assert.equal(nextRollbackStep({ ...original, configDigest: null }, now), 'done');
});

test('step 160 on a device that shows no banks: the running version tells whether the new software runs', () => {
  const modem = (runningVersion: string) => ({ activeBank: null, runningVersion });
  assert.equal(afterFailedUpgrade(modem('1.0.0'), modem('2.0.0')), 'revert');
  assert.equal(afterFailedUpgrade(modem('1.0.0'), modem('1.0.0')), 'nothingToRevert');
  const before = { ...modem('1.0.0'), configDigest: null };
  assert.equal(judgeUpgrade(before, '2.0.0', { ...modem('1.0.0'), configDigest: null, lastBootCause: null })?.cause, 'fellBack');
  assert.equal(judgeUpgrade(before, '2.0.0', { ...modem('2.0.0'), configDigest: null, lastBootCause: null }), undefined);
  assert.equal(judgeUpgrade(before, '2.0.0', { ...modem('1.5.0'), configDigest: null, lastBootCause: null })?.cause, 'mismatch');
  assert.equal(judgeVerify(before, '2.0.0', null, { ...modem('2.0.0'), configDigest: null }), undefined);
  assert.equal(judgeVerify(before, '2.0.0', null, { ...modem('1.0.0'), configDigest: null })?.cause, 'fellBack');
  // A reinstall of the running version cannot be told from a fallback by version: it is not one.
  assert.equal(judgeVerify(before, '1.0.0', null, { ...modem('1.0.0'), configDigest: null }), undefined);
});

const before: DeviceFacts = { runningVersion: '1.0.0', activeBank: 'bankA', configDigest: 'aaaa' };

test('an upgrade is judged by the bank and the version that run afterwards', () => {
  assert.equal(judgeUpgrade(before, '2.0.0', { runningVersion: '2.0.0', activeBank: 'bankB', configDigest: 'aaaa', lastBootCause: 'commanded' }), undefined);
  const fellBack = judgeUpgrade(before, '2.0.0', { ...before, lastBootCause: 'fallback' });
  assert.equal(fellBack?.cause, 'fellBack');
  assert.match(fellBack!.message, /fell back to 1\.0\.0/);
  // Reinstalling the running version still has to come from the other bank.
  assert.equal(judgeUpgrade(before, '1.0.0', { ...before, lastBootCause: 'commanded' })?.cause, 'fellBack');
  assert.equal(
    judgeUpgrade(before, '2.0.0', { runningVersion: '1.9.9', activeBank: 'bankB', configDigest: 'aaaa', lastBootCause: 'commanded' })?.cause,
    'mismatch',
  );
});

test('a reboot order that ended badly: what runs decides', () => {
  const lost = { phase: 'upgrade' as const, cause: 'powerLoss' as const, message: 'reboot into 2.0.0: the power went' };
  const upgraded = { runningVersion: '2.0.0', activeBank: 'bankB' as const, configDigest: 'aaaa', lastBootCause: 'powerOn' };
  // Came up on the new software from the new bank: go on, and say what was survived.
  assert.deepEqual(judgeReboot(before, '2.0.0', lost, upgraded), { ok: true, despite: lost });
  assert.deepEqual(judgeReboot(before, '2.0.0', undefined, upgraded), { ok: true });
  // Still (or again) on the old bank: the reboot's own failure is the attempt's.
  assert.deepEqual(judgeReboot(before, '2.0.0', lost, { ...before, lastBootCause: 'powerOn' }), { ok: false, failure: lost });
  const fellBack = judgeReboot(before, '2.0.0', undefined, { ...before, lastBootCause: 'fallback' });
  assert.equal(fellBack.ok ? undefined : fellBack.failure.cause, 'fellBack');
  // The other bank, but not the version the image carries: never a success.
  const wrong = judgeReboot(before, '2.0.0', lost, { ...upgraded, runningVersion: '1.9.9' });
  assert.equal(wrong.ok, false);
});

test('verify: silence and a fall-back are failures, never successes', () => {
  const good: DeviceFacts = { runningVersion: '2.0.0', activeBank: 'bankB', configDigest: 'bbbb' };
  assert.equal(judgeVerify(before, '2.0.0', 'bbbb', good), undefined);
  assert.equal(judgeVerify(before, '2.0.0', 'bbbb', undefined)?.cause, 'silent');
  assert.equal(judgeVerify(before, '2.0.0', 'bbbb', { ...good, activeBank: 'bankA' })?.cause, 'fellBack');
  assert.equal(judgeVerify(before, '2.0.0', 'bbbb', { ...good, configDigest: 'cccc' })?.cause, 'mismatch');
  assert.equal(judgeVerify(before, '2.0.0', 'bbbb', { ...good, runningVersion: '2.0.1' })?.cause, 'mismatch');
});

test('configuration: migrate when the formats differ; a refused format means migrate again', () => {
  assert.equal(needsMigration(1, 2), true);
  assert.equal(needsMigration(2, 2), false);
  assert.equal(restoreNeedsRemigration({ phase: 'restore', cause: 'configFormatMismatch', message: '' }), true);
  assert.equal(restoreNeedsRemigration({ phase: 'restore', cause: 'transferTimeout', message: '' }), false);
  assert.equal(restoreNeedsRemigration(undefined), false);
});

test('a full rollback reverts first, then restores the original configuration, then is done', () => {
  const upgraded: DeviceFacts = { runningVersion: '2.0.0', activeBank: 'bankB', configDigest: 'bbbb' };
  assert.equal(nextRollbackStep(before, upgraded), 'revert');
  assert.equal(nextRollbackStep(before, { ...upgraded, configDigest: 'aaaa' }), 'revert');
  assert.equal(nextRollbackStep(before, { ...before, configDigest: 'bbbb' }), 'restoreOriginal');
  assert.equal(nextRollbackStep(before, before), 'done');
});

test('what an operator may answer depends on the phase the run waits in', () => {
  assert.equal(canKeepNewSoftware('backup'), false);
  assert.equal(canKeepNewSoftware('upgrade'), false);
  assert.equal(canKeepNewSoftware('restore'), true);
  assert.equal(acceptsSupplied('upgrade', 'image'), true);
  assert.equal(acceptsSupplied('restore', 'image'), false);
  assert.equal(acceptsSupplied('migrate', 'config'), true);
  assert.equal(acceptsSupplied('backup', 'config'), false);
});

test('the final report says what the device runs and who stopped the run', () => {
  const failure = { phase: 'restore' as const, cause: 'configFormatMismatch' as const, message: 'refused' };
  const rolledBack = runOutcome({ kind: 'rolledBack', failure, by: 'operator:ann', restored: true, device: before, backupSha256: 'b1' });
  assert.equal(rolledBack.state, 'rolledBack');
  assert.equal(rolledBack.keptNewSoftware, false);
  assert.equal(rolledBack.runningVersion, '1.0.0');
  assert.match(rolledBack.summary, /ann stopped the run/);
  const stuck = runOutcome({ kind: 'rolledBack', failure, by: 'policy', restored: false, device: undefined, backupSha256: 'b1', problem: 'silent' });
  assert.equal(stuck.state, 'failed');
  assert.match(stuck.summary, /needs an operator/);
  assert.equal(runOutcome({ kind: 'stopped', failure, by: 'policy', device: before, backupSha256: null }).state, 'failed');
  assert.equal(runOutcome({ kind: 'stopped', failure, by: 'operator:ann', device: before, backupSha256: null }).state, 'aborted');
  const kept = runOutcome({ kind: 'keptNewSoftware', failure, by: 'operator:ann', device: before, backupSha256: 'b1' });
  assert.equal(kept.state, 'aborted');
  assert.equal(kept.keptNewSoftware, true);
  assert.equal(runOutcome({ kind: 'internalError', message: 'boom' }).state, 'failed');
});

test('a preflight failure says what happened and why the run stopped at once, not that a policy stopped it', () => {
  const silent = { phase: 'preflight' as const, cause: 'silent' as const, message: 'the device does not answer' };
  // Even under then=ask: preflight is never retried or asked.
  const stopped = runOutcome({ kind: 'stopped', failure: silent, by: 'manager', device: undefined, backupSha256: null });
  assert.equal(stopped.state, 'failed');
  assert.doesNotMatch(stopped.summary, /policy/);
  assert.match(stopped.summary, /^preflight failed \(silent: the device does not answer\)/);
  assert.match(stopped.summary, /never retried or asked/);
  assert.match(stopped.summary, /nothing on the device was changed$/);
  const wrongModel = runOutcome({
    kind: 'stopped',
    failure: { phase: 'preflight', cause: 'wrongModel', message: 'the image is for VGW-800' },
    by: 'manager',
    device: undefined,
    backupSha256: null,
  });
  assert.match(wrongModel.summary, /wrongModel: the image is for VGW-800/);
});

test('a cancelled run: the report names who cancelled it, and what became of the device', () => {
  const inBackup = cancelFailure('backup', 'operator:eve');
  assert.equal(inBackup.cause, 'cancelled');
  const stopped = runOutcome({ kind: 'stopped', failure: inBackup, by: 'operator:eve', device: before, backupSha256: 'b1' });
  assert.equal(stopped.state, 'aborted');
  assert.equal(stopped.summary, 'cancelled by eve during backup; nothing on the device was changed');
  const rolledBack = runOutcome({
    kind: 'rolledBack',
    failure: cancelFailure('upgrade', 'operator:eve'),
    by: 'operator:eve',
    restored: true,
    device: before,
    backupSha256: 'b1',
  });
  assert.equal(rolledBack.state, 'rolledBack');
  assert.match(rolledBack.summary, /^cancelled by eve during upgrade; rolled back: the device runs its previous software/);
  // Once a cancel is asked for, only orders that bring the device back may start.
  assert.equal(startsAfterCancel('upgrade', 'downloadSoftware'), false);
  assert.equal(startsAfterCancel('upgrade', 'reboot'), false);
  assert.equal(startsAfterCancel('restore', 'restoreConfig'), false);
  assert.equal(startsAfterCancel('upgrade', 'revertSoftware'), true);
  assert.equal(startsAfterCancel('rollback', 'restoreConfig'), true);
});

test('who a failure is attributed to', () => {
  assert.equal(failureActor('silent'), 'manager');
  assert.equal(failureActor('fellBack'), 'manager');
  assert.equal(failureActor('serverUnreachable'), 'device');
  assert.equal(failureActor('bootFailed'), 'device');
});

test('operation indexes: fixed by run, phase, attempt and slot; distinct; within sfOpIndex', () => {
  assert.equal(operationIndex(7, 'upgrade', 1, 2), operationIndex(7, 'upgrade', 1, 2));
  const seen = new Set<number>();
  for (const run of [1, 2, 262_142, 262_143 + 5]) {
    for (const phase of ['backup', 'upgrade', 'restore', 'rollback'] as const) {
      for (const attempt of [0, 1, 255]) {
        for (const slot of [0, 3]) {
          const index = operationIndex(run, phase, attempt, slot);
          assert.ok(index >= 1 && index <= 2 ** 31 - 1, String(index));
          assert.deepEqual(operationIndexParts(index), { runBlock: runBlockOf(run), phase, attempt, slot });
          seen.add(index);
        }
      }
    }
  }
  assert.equal(seen.size, 4 * 4 * 3 * 2);
  assert.throws(() => operationIndex(0, 'backup', 0, 0), RangeError);
  assert.throws(() => operationIndex(1, 'backup', 256, 0), RangeError);
  assert.throws(() => operationIndex(1, 'backup', 0, 4), RangeError);
  assert.throws(() => operationIndexParts(0), RangeError);
  assert.throws(() => operationIndexParts(1 + 8 * 256 * 4 - 1), RangeError, 'phase code 7 is no phase');
});

test('alreadyInstalled: same version, and the same payload digest in the active bank when both say', () => {
  const image = { version: '2.0.0', payloadSha256: 'aa'.repeat(32) };
  const banks = [
    { bank: 'bankA' as const, imageDigest: 'bb'.repeat(32) },
    { bank: 'bankB' as const, imageDigest: 'aa'.repeat(32) },
  ];
  assert.equal(alreadyInstalled(image, { runningVersion: '2.0.0', activeBank: 'bankB', banks }), true);
  assert.equal(alreadyInstalled(image, { runningVersion: '2.0.0', activeBank: 'bankA', banks }), false, 'same version, another build');
  assert.equal(alreadyInstalled(image, { runningVersion: '1.0.0', activeBank: 'bankB', banks }), false);
  // An inventory row (no banks) or an image recorded without its digest: the version decides.
  assert.equal(alreadyInstalled(image, { runningVersion: '2.0.0' }), true);
  assert.equal(alreadyInstalled({ version: '2.0.0', payloadSha256: null }, { runningVersion: '2.0.0', activeBank: 'bankA', banks }), true);
  assert.equal(alreadyInstalled(image, { runningVersion: null }), false, 'never read: not known to run it');
});

test('runOutcome: upToDate is its own final state and changes nothing', () => {
  const outcome = runOutcome({
    kind: 'upToDate',
    device: { runningVersion: '2.0.0', activeBank: 'bankB', configDigest: 'cd' },
    version: '2.0.0',
    backupSha256: null,
  });
  assert.equal(outcome.state, 'upToDate');
  assert.equal(outcome.keptNewSoftware, false);
  assert.match(outcome.summary, /nothing on the device was changed/);
});

test('time limits on a command line: one syntax, every problem refused', () => {
  assert.deepEqual(parseTimeLimits('backup=120,download=900'), { backup: 120, download: 900 });
  for (const bad of ['backup=0', 'reboot=5', 'backup=1,backup=2', 'backup:5', 'verify=x', `boot=${7 * 86_400 + 1}`]) {
    assert.throws(() => parseTimeLimits(bad), RunOptionsError, bad);
  }
});

test('run options resolve run > campaign > device > manager', () => {
  const defaults = { transport: 'tftp' as const, timeLimits: { backup: 120, download: 900, boot: 300, restore: 120, verify: 120 } };
  const resolved = resolveRunOptions([{ timeLimits: { backup: 5 } }, { transport: 'ftp', timeLimits: { backup: 60, boot: 30 } }], 'tftp', defaults);
  assert.deepEqual(resolved, { transport: 'ftp', timeLimits: { ...defaults.timeLimits, backup: 5, boot: 30 }, reinstall: false, converter: 'manager' });
  assert.equal(resolveRunOptions([undefined, { converter: 'device' }], null, defaults).converter, 'device', "the campaign's converter");
  assert.throws(() => resolveRunOptions([{ converter: 'modem' as never }], null, defaults), /converter must be manager or device/);
  assert.equal(resolveRunOptions([undefined, undefined], 'ftp', defaults).transport, 'ftp', "the device's default");
  assert.equal(resolveRunOptions([{ transport: 'tftp' }, { transport: 'ftp' }], 'ftp', defaults).transport, 'tftp', "the run's own");
  assert.equal(resolveRunOptions([], null, defaults).transport, 'tftp', "the manager's");
});
