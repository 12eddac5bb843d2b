// Fault plans from CLI flags and scenario files: what they mean, and clear refusals of what they cannot.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FaultInjector } from '../../src/agent/fault-injector.ts';
import { faultPlanFor, FaultPlanError, loadScenario, parseFaultFlag, parseFaultFlags, parseScenario, selectorMatches } from '../../src/agent/faults.ts';

test('CLI fault flags', () => {
  assert.deepEqual(parseFaultFlag('fail-download=2:transferTimeout'), { failDownloads: { count: 2, cause: 'transferTimeout' } });
  assert.deepEqual(parseFaultFlag('fail-backup'), { failBackups: { count: 1, cause: 'serverUnreachable' } });
  assert.deepEqual(parseFaultFlag('fail-restore=always'), { failRestores: { count: Number.POSITIVE_INFINITY, cause: 'serverUnreachable' } });
  assert.deepEqual(parseFaultFlag('power-loss=downloadSoftware@50:1000'), {
    powerLoss: { operation: 'downloadSoftware', percent: 50, powerOffMs: 1000, count: 1 },
  });
  assert.deepEqual(parseFaultFlag('power-loss=reboot@10').powerLoss?.powerOffMs, 500);
  assert.deepEqual(parseFaultFlag('corrupt-download'), { corruptDownloads: 1 });
  assert.deepEqual(parseFaultFlag('fail-boot=3'), { failBoots: 3 });
  assert.deepEqual(parseFaultFlag('reject-config-format=always'), { rejectConfigFormat: Number.POSITIVE_INFINITY });
  assert.deepEqual(parseFaultFlag('drop-notifications=0.25'), { dropNotifications: 0.25 });
  assert.deepEqual(parseFaultFlag('slow-transfer=200ms'), { slowTransfers: { stepDelayMs: 200 } });
  assert.deepEqual(parseFaultFlag('slow-transfer=65536Bps'), { slowTransfers: { bytesPerSecond: 65536 } });
  assert.deepEqual(parseFaultFlag('port-down-after-upgrade=lan1'), { portDownAfterUpgrade: { port: 'lan1', count: 1 } });
  assert.deepEqual(parseFaultFlag('port-down-after-upgrade=pots2:always'), { portDownAfterUpgrade: { port: 'pots2', count: Number.POSITIVE_INFINITY } });
  assert.deepEqual(parseFaultFlags(['fail-boot', 'fail-boot=2', 'corrupt-download']), { failBoots: 2, corruptDownloads: 1 });
});

test('bad CLI fault flags are refused with the reason', () => {
  const bad: Array<[string, RegExp]> = [
    ['explode', /unknown fault "explode"/],
    ['fail-download=2:melted', /unknown fail cause "melted"/],
    ['fail-download=-1', /count must be/],
    ['power-loss=format@50', /operation must be one of/],
    ['power-loss=reboot@150', /percent must be from 0 to 100/],
    ['power-loss', /needs a value/],
    ['drop-notifications=1.5', /share must be from 0 to 1/],
    ['slow-transfer=fast', /expected <ms>ms/],
    ['port-down-after-upgrade', /needs a value/],
    ['port-down-after-upgrade=../x', /is not a port name/],
  ];
  for (const [flag, message] of bad)
    assert.throws(
      () => parseFaultFlag(flag),
      (error: Error) => error instanceof FaultPlanError && message.test(error.message),
      flag,
    );
});

test('scenario files map device selectors to plans; later entries override earlier ones', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'safeflash-scenario-'));
  try {
    const path = join(dir, 'scenario.json');
    await writeFile(
      path,
      JSON.stringify({
        description: 'a bad day',
        devices: {
          '*': { dropNotifications: 0.1 },
          '1-10': { failDownloads: { count: 1, cause: 'transferTimeout' }, failBoots: 'always' },
          '3,12': ['power-loss=downloadSoftware@50:1000', 'drop-notifications=0.5'],
        },
      }),
    );
    const scenario = loadScenario(path);
    assert.equal(scenario.description, 'a bad day');
    assert.deepEqual(faultPlanFor(scenario, 20), { dropNotifications: 0.1 });
    assert.deepEqual(faultPlanFor(scenario, 2), {
      dropNotifications: 0.1,
      failDownloads: { count: 1, cause: 'transferTimeout' },
      failBoots: Number.POSITIVE_INFINITY,
    });
    const third = faultPlanFor(scenario, 3);
    assert.equal(third.dropNotifications, 0.5);
    assert.equal(third.powerLoss?.percent, 50);
    assert.equal(third.failBoots, Number.POSITIVE_INFINITY);
    assert.equal(faultPlanFor(scenario, 12).failBoots, undefined);
    assert.throws(() => loadScenario(join(dir, 'absent.json')), /cannot read scenario/);
    await writeFile(path, '{ nope');
    assert.throws(() => loadScenario(path), /not valid JSON/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('bad scenarios are refused with where the problem is', () => {
  assert.throws(() => parseScenario({ devices: { '0': {} } }), /bad device selector "0"/);
  assert.throws(() => parseScenario({ devices: { '5-2': {} } }), /bad device selector "5-2"/);
  assert.throws(() => parseScenario({ devices: { '*': { meteor: 1 } } }), /devices\["\*"\]: unknown fault meteor/);
  assert.throws(() => parseScenario({ devices: { '*': { failBackups: { count: 1, cause: 'none' } } } }), /unknown fail cause "none"/);
  assert.throws(() => parseScenario({ devices: { '*': { slowTransfers: {} } } }), /give stepDelayMs or bytesPerSecond/);
  assert.throws(() => parseScenario({ devices: [] }), /"devices" must map/);
  assert.throws(() => parseScenario({ devices: {}, extra: 1 }), /unknown field extra/);
  assert.ok(selectorMatches('1-3,7', 7) && !selectorMatches('1-3,7', 4));
});

test('countdown faults run out, each strike told once; the injector hands out copies of its plan', () => {
  const struck: string[] = [];
  const injector = new FaultInjector(
    {
      failDownloads: { count: 2, cause: 'fileNotFound' },
      failBoots: 1,
      powerLoss: { operation: 'reboot', percent: 50, powerOffMs: 10, count: 1 },
    },
    (fault) => struck.push(fault),
  );
  assert.equal(injector.takeForcedFailure('backupConfig'), undefined);
  assert.equal(injector.takeForcedFailure('downloadSoftware'), 'fileNotFound');
  assert.equal(injector.takeForcedFailure('downloadSoftware'), 'fileNotFound');
  assert.equal(injector.takeForcedFailure('downloadSoftware'), undefined);
  assert.equal(injector.takeFailedBoot(), true);
  assert.equal(injector.takeFailedBoot(), false);
  assert.equal(injector.takePowerLoss('reboot', 40), undefined);
  assert.equal(injector.takePowerLoss('downloadSoftware', 60), undefined);
  assert.equal(injector.takePowerLoss('reboot', 60), 10);
  assert.equal(injector.takePowerLoss('reboot', 60), undefined);
  assert.deepEqual(struck, ['failDownloads', 'failDownloads', 'failBoots', 'powerLoss']);
  const plan = injector.plan;
  plan.failBoots = 9;
  assert.equal(injector.plan.failBoots, 0);
});
