// A run's counts from the typed data of its timeline: reverts are revertSoftware operations ordered,
// whatever the timeline's revert lines say.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCounts } from '../../src/manager/procedure/run-counts.ts';
import type { RunEvent, RunEventCause } from '../../src/manager/store/records.ts';
import type { OperationType } from '../../src/protocol/vocabulary.ts';

type Line = Pick<RunEvent, 'kind' | 'detail' | 'cause' | 'message'>;

const started = (type: OperationType, index: number): Line => ({
  kind: 'operationStarted',
  detail: { index, type },
  cause: null,
  message: `${type} as operation ${index}`,
});
const finished = (type: OperationType, index: number, cause: RunEventCause | null = null): Line => ({
  kind: 'operationFinished',
  detail: { index, type },
  cause,
  message: `${type} ${index}`,
});
const revertLine = (cause: RunEventCause, message: string): Line => ({ kind: 'revert', detail: {}, cause, message });
const retry: Line = { kind: 'retryScheduled', detail: { backoffSeconds: 1 }, cause: null, message: 'retrying upgrade in 1 s' };

test('a failed download: the revert line says there is nothing to revert, no revert is counted', () => {
  const timeline = [
    started('backupConfig', 1),
    finished('backupConfig', 1),
    started('downloadSoftware', 2),
    finished('downloadSoftware', 2, 'serverUnreachable'),
    revertLine('nothingToRevert', 'nothing to revert: the device runs 1.0.0 from bankA, as before the upgrade'),
  ];
  assert.deepEqual(runCounts(timeline), { retries: 0, reverts: 0 });
});

test('a device that fell back to its old bank by itself: retries counted, no revert ordered', () => {
  const timeline = [
    started('downloadSoftware', 2),
    finished('downloadSoftware', 2),
    started('reboot', 3),
    finished('reboot', 3),
    revertLine('nothingToRevert', 'nothing to revert'),
    retry,
    started('downloadSoftware', 4),
    finished('downloadSoftware', 4),
    started('reboot', 5),
    finished('reboot', 5),
    revertLine('nothingToRevert', 'nothing to revert'),
  ];
  assert.deepEqual(runCounts(timeline), { retries: 1, reverts: 0 });
});

test('a device whose bank cannot be read: the revert line is no revert', () => {
  assert.deepEqual(runCounts([revertLine('silent', 'cannot tell which bank runs: the device does not answer')]), { retries: 0, reverts: 0 });
});

test('step 160 and the rollback: each revertSoftware ordered counts once, whatever its result', () => {
  const timeline = [
    revertLine('newSoftwareRunning', 'reverting: the device runs 1.1.0 from bankB'),
    started('revertSoftware', 6),
    finished('revertSoftware', 6, 'silent'),
    retry,
    retry,
    started('restoreConfig', 7),
    finished('restoreConfig', 7, 'configInvalid'),
    started('revertSoftware', 8),
    finished('revertSoftware', 8),
  ];
  assert.deepEqual(runCounts(timeline), { retries: 2, reverts: 2 });
});

test('counts read the typed detail, not the text', () => {
  const misleading: Line = { kind: 'operationStarted', detail: { index: 9, type: 'reboot' }, cause: null, message: 'revertSoftware as operation 9' };
  assert.deepEqual(runCounts([misleading]), { retries: 0, reverts: 0 });
  assert.deepEqual(runCounts([]), { retries: 0, reverts: 0 });
});
