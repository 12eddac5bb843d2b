// Pre-checks and post-checks are pure: each verdict, and the report drawn from a timeline.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeviceCondition, DeviceReading } from '../../src/families/family.ts';
import { checkReport, checksSummary, runPostChecks, runPreChecks, type PreCheckFacts } from '../../src/manager/procedure/checks.ts';

const reading: DeviceReading = {
  model: 'IAD-2400',
  serial: 'SN1',
  runningVersion: '1.0.0',
  previousVersion: '',
  activeBank: 'bankA',
  nextBootBank: 'bankA',
  configFormat: 1,
  configDigest: 'aa'.repeat(32),
  rebootRequired: true,
  lastBootCause: 'powerOn',
  banks: [
    { bank: 'bankA', state: 'valid', version: '1.0.0', configFormat: 1 },
    { bank: 'bankB', state: 'valid', version: '2.0.0', configFormat: 1, imageDigest: 'bb'.repeat(32) },
  ],
};
const condition: DeviceCondition = {
  ports: [
    { ifIndex: 1, name: 'wan0', admin: 'up', oper: 'up' },
    { ifIndex: 2, name: 'lan1', admin: 'up', oper: 'up' },
    { ifIndex: 3, name: 'lan2', admin: 'up', oper: 'down' },
  ],
  activeCalls: 0,
  registeredLines: 2,
  activeAlarms: 0,
  bankCapacity: 1000,
  operationInProgress: '',
};
const facts: PreCheckFacts = {
  image: { sha256: 'cc'.repeat(32), model: 'IAD-2400', version: '2.0.0', payloadSha256: 'bb'.repeat(32), size: 800 },
  reading,
  condition,
  imageInStore: true,
};
const verdicts = (results: ReturnType<typeof runPreChecks>) => Object.fromEntries(results.map((r) => [r.name, r.verdict]));

test('before any change: model, room and a quiet device pass; nothing to compare the configuration with yet', () => {
  assert.deepEqual(verdicts(runPreChecks(facts)), { model: 'pass', bankSpace: 'pass', noOperation: 'pass', configUnchanged: 'skip', imageTrusted: 'pass' });
});

test('each pre-check refuses with its reason', () => {
  const refused = runPreChecks({
    ...facts,
    image: { ...facts.image, model: 'IAD-9', size: 1001 },
    condition: { ...condition, operationInProgress: 'restoreConfig #7' },
    backupDigest: 'dd'.repeat(32),
    imageInStore: false,
  });
  assert.deepEqual(verdicts(refused), { model: 'fail', bankSpace: 'fail', noOperation: 'fail', configUnchanged: 'fail', imageTrusted: 'fail' });
  assert.match(refused.find((r) => r.name === 'bankSpace')!.message, /takes 1001 bytes and the inactive bank holds 1000/);
  assert.match(refused.find((r) => r.name === 'noOperation')!.message, /restoreConfig #7 is in progress/);
  assert.match(checksSummary('beforeChanges', refused), /^pre-checks: model: .*; imageTrusted: /);
});

test('before activation: the staged image must still be in the inactive bank, unmarked, with its digest', () => {
  const staged = { ...facts, staged: true, backupDigest: reading.configDigest! };
  assert.deepEqual(verdicts(runPreChecks(staged)), { model: 'pass', bankSpace: 'skip', noOperation: 'pass', configUnchanged: 'pass', imageTrusted: 'pass' });
  const marked = runPreChecks({ ...staged, reading: { ...reading, nextBootBank: 'bankB' } });
  assert.match(marked.find((r) => r.name === 'imageTrusted')!.message, /bankB is marked for the next boot/);
  const other = runPreChecks({ ...staged, reading: { ...reading, banks: [reading.banks[0]!, { ...reading.banks[1]!, imageDigest: 'ee'.repeat(32) }] } });
  assert.equal(other.find((r) => r.name === 'imageTrusted')!.verdict, 'fail');
  const gone = runPreChecks({ ...staged, reading: { ...reading, banks: [reading.banks[0]!, { ...reading.banks[1]!, state: 'invalid' }] } });
  assert.match(gone.find((r) => r.name === 'imageTrusted')!.message, /no longer holds 2\.0\.0/);
});

test('checks a run leaves out are skipped; what the device does not say is skipped, never passed', () => {
  const unknown: DeviceCondition = { ports: null, activeCalls: null, registeredLines: null, activeAlarms: null, bankCapacity: null, operationInProgress: null };
  assert.deepEqual(verdicts(runPreChecks({ ...facts, condition: unknown }, ['model'])), {
    model: 'skip',
    bankSpace: 'skip',
    noOperation: 'skip',
    configUnchanged: 'skip',
    imageTrusted: 'pass',
  });
  assert.deepEqual(
    runPostChecks(unknown, unknown).map((r) => r.verdict),
    ['skip', 'skip', 'skip'],
  );
});

test('post-checks: a port that was up and is not, fewer lines, more alarms are failures; a port down before is not', () => {
  const same = runPostChecks(condition, condition);
  assert.deepEqual(
    same.map((r) => r.verdict),
    ['pass', 'pass', 'pass'],
  );
  const worse = runPostChecks(condition, {
    ...condition,
    ports: condition.ports!.map((port) => (port.name === 'lan1' ? { ...port, oper: 'lowerLayerDown' as const } : port)).filter((port) => port.name !== 'wan0'),
    registeredLines: 1,
    activeAlarms: 2,
  });
  assert.deepEqual(
    worse.map((r) => r.verdict),
    ['fail', 'fail', 'fail'],
  );
  assert.equal(worse[0]!.message, 'wan0, lan1 were up before the upgrade and are not now');
});

test('the report takes the last round of each kind from the timeline', () => {
  const event = (round: string, verdict: string) => ({ kind: 'checks', detail: { round, checks: [{ name: 'model', verdict, message: verdict }] } });
  const report = checkReport([
    event('beforeChanges', 'pass'),
    event('beforeActivation', 'fail'),
    event('beforeActivation', 'pass'),
    { kind: 'phaseStarted', detail: {} },
  ]);
  assert.deepEqual(report, {
    rounds: ['beforeChanges', 'beforeActivation'],
    rows: [{ name: 'model', verdicts: { beforeChanges: { verdict: 'pass', message: 'pass' }, beforeActivation: { verdict: 'pass', message: 'pass' } } }],
  });
});
