// The chaos campaign's judge must itself be right: a settled device or a timeline that breaks a rule is
// named, one that keeps them is not; and a seed always draws the same plan.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { drawDeviceFaults } from '../../bench/chaos/device-faults.ts';
import { deviceProblems, sameOrder, timelineProblems, type DeviceFacts, type EventRow } from '../../bench/chaos/invariants.ts';
import { Seeded } from '../../bench/chaos/seeded.ts';

const versions = { original: '1.0.0', upgrades: ['2.0.0', '2.0.1'], configFormat: 2 };

function facts(overrides: Partial<DeviceFacts>): DeviceFacts {
  return {
    versions,
    running: '2.0.0',
    nextBootVerifies: true,
    canRevert: true,
    configuration: { original: false, migrated: true, serial: null },
    lastRun: { state: 'verified', reported: '2.0.0', keptNewSoftware: false },
    ...overrides,
  };
}

const rules = (f: DeviceFacts) => deviceProblems(f).map((p) => p.rule);

test('a verified device on its new software with its migrated configuration breaks no rule', () => {
  assert.deepEqual(deviceProblems(facts({})), []);
  // The same for a corrected image, and for a rolled-back device on its old software and configuration.
  assert.deepEqual(deviceProblems(facts({ running: '2.0.1', lastRun: { state: 'verified', reported: '2.0.1', keptNewSoftware: false } })), []);
  assert.deepEqual(
    deviceProblems(
      facts({
        running: '1.0.0',
        configuration: { original: true, migrated: false, serial: null },
        lastRun: { state: 'rolledBack', reported: '1.0.0', keptNewSoftware: false },
      }),
    ),
    [],
  );
});

test('each rule a settled device can break is named', () => {
  assert.deepEqual(rules(facts({ nextBootVerifies: false })), ['no bootable image']);
  assert.deepEqual(rules(facts({ running: '9.9.9', lastRun: { state: 'verified', reported: '9.9.9', keptNewSoftware: false } })), [
    'unknown software',
    'final state untrue',
  ]);
  const stranger = deviceProblems(facts({ configuration: { original: false, migrated: false, serial: 'SF0002' } }));
  assert.deepEqual(
    stranger.map((p) => p.rule),
    ['configuration lost', 'final state untrue'],
  );
  assert.match(stranger[0]!.detail, /SF0002/);
  // Verified, but the device fell back to its old software: the report, the version and the configuration are all wrong.
  assert.deepEqual(rules(facts({ running: '1.0.0', configuration: { original: true, migrated: false, serial: null } })), [
    'final state untrue',
    'final state untrue',
    'final state untrue',
  ]);
  // Rolled back, but the original configuration is not there.
  assert.deepEqual(
    rules(
      facts({
        running: '1.0.0',
        configuration: { original: false, migrated: true, serial: null },
        lastRun: { state: 'rolledBack', reported: '1.0.0', keptNewSoftware: false },
      }),
    ),
    ['final state untrue'],
  );
  // Failed, left on the new software without an operator keeping it; kept, it is the operator's choice.
  const left = { state: 'failed', reported: '2.0.0', keptNewSoftware: false };
  assert.deepEqual(rules(facts({ lastRun: left })), ['final state untrue']);
  assert.deepEqual(rules(facts({ lastRun: { ...left, keptNewSoftware: true } })), []);
  // A family with no way back (an IOS router, a modem): the report saying what runs is the rule.
  assert.deepEqual(rules(facts({ canRevert: false, lastRun: left })), []);
  assert.deepEqual(rules(facts({ canRevert: false, lastRun: { ...left, reported: '1.0.0' } })), ['final state untrue']);
  // The report names other software than the device runs.
  assert.deepEqual(rules(facts({ lastRun: { state: 'verified', reported: '2.0.1', keptNewSoftware: false } })), ['final state untrue']);
  // No run at all, yet the device changed.
  assert.deepEqual(rules(facts({ lastRun: undefined })), ['changed without a run']);
});

const event = (phase: string, kind: string, attempt = 0, cause: string | null = null): EventRow => ({ run_id: 'r', phase, kind, cause, detail: { attempt } });
const phases = ['preflight', 'backup', 'upgrade', 'migrate', 'restore', 'verify'];
const complete = [...phases.flatMap((phase) => [event(phase, 'phaseStarted'), event(phase, 'phaseSucceeded')]), event('verify', 'runEnded', 0, 'verified')];

test('a complete timeline passes; gaps, open phases and a missing or wrong end are named', () => {
  assert.deepEqual(timelineProblems({ state: 'verified' }, complete, []), []);
  assert.match(timelineProblems({ state: 'verified' }, complete.slice(0, -1), []).join(), /0 runEnded/);
  assert.match(timelineProblems({ state: 'rolledBack' }, complete, []).join(), /runEnded says verified/);
  assert.match(timelineProblems({ state: 'verified' }, [...complete, event('verify', 'checks')], []).join(), /events after runEnded/);
  const withoutMigrate = complete.filter((e) => e.phase !== 'migrate');
  assert.match(timelineProblems({ state: 'verified' }, withoutMigrate, []).join(), /restore started before migrate ended/);
  // Software that reads the same format: no migrate in the plan, and none missing.
  assert.deepEqual(timelineProblems({ state: 'verified' }, withoutMigrate, ['migrate']), []);
  const open = complete.filter((e) => !(e.phase === 'backup' && e.kind === 'phaseSucceeded'));
  assert.match(timelineProblems({ state: 'verified' }, open, []).join(), /upgrade started while backup attempt 0 was open/);
  // A failed attempt, retried, then done: complete.
  const retried = [event('preflight', 'phaseStarted'), event('preflight', 'phaseFailed', 0, 'timeout'), ...complete.slice(0)];
  assert.deepEqual(timelineProblems({ state: 'verified' }, retried, []), []);
});

test('an operation is the one ordered when its type is; on a VRP device a reload is a reload, whichever the device calls it', () => {
  assert.ok(sameOrder('safeflash', 'reboot', 'reboot'));
  assert.ok(!sameOrder('safeflash', 'reboot', 'revertSoftware'));
  assert.ok(sameOrder('huawei', 'reboot', 'revertSoftware'));
  assert.ok(!sameOrder('huawei', 'reboot', 'downloadSoftware'));
});

test('a seed draws the same plan every time, and another seed another plan', () => {
  const draw = (seed: number) => {
    const random = new Seeded(seed);
    return Array.from({ length: 50 }, () => drawDeviceFaults(random, 0.5));
  };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
  const plans = draw(7);
  assert.ok(plans.some((p) => p.kinds.length === 0) && plans.some((p) => p.kinds.length > 0), 'some devices carry faults, some none');
  const random = new Seeded(1);
  for (let i = 0; i < 1000; i++) {
    const n = random.between(3, 5);
    assert.ok(n >= 3 && n <= 5 && Number.isInteger(n));
  }
  assert.notDeepEqual(new Seeded(1).fork('a').next(), new Seeded(1).fork('b').next());
});
