// A randomized chaos campaign (Jepsen-style): virtual fleets of every family, several managers on one
// PostgreSQL, campaigns and single runs, while faults strike at moments drawn from a seed: managers,
// fleet processes (power cuts) and PostgreSQL SIGKILLed and started again; devices that lose
// notifications, fail or crawl through transfers, receive corrupt images, lose power mid-operation, do not
// boot their new image, refuse restores; operators who answer late (retry, abort, keep the new software,
// retry with a corrected image), approve waves and resume paused campaigns. Once everything has settled
// it reads every device back and checks the invariants of bench/chaos/invariants.ts.
// Prints runs, faults by kind, violations (expected 0) with the seed that replays them, and the command.
//
//   node --import tsx bench/chaos.ts --runs 1000 [--seed 1] [--managers 2] [--fleets 8] [--limit-minutes 30]
//   node --import tsx bench/chaos.ts --runs 24 --seed 7 --fault-gap 3-6        (a short round, as CI runs)
//
// One device per run asked for (campaign retry rounds may add runs). Bounded: gives up after
// --limit-minutes and says so; every process it started is stopped and its directory removed (kept with
// --keep, to look at the logs).
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { vendorKeyPrefix } from '../src/agent/vendor-key.ts';
import type { FaultPlan } from '../src/agent/faults.ts';
import type { FamilyName } from '../src/families/family.ts';
import { finalCampaignStates } from '../src/manager/campaigns/model.ts';
import { finalRunStates } from '../src/manager/store/records.ts';
import { packImage } from '../src/protocol/image.ts';
import { keyPairFiles, readPrivateKey, readPublicKey } from '../src/protocol/keys.ts';
import { deviceFaultKinds, drawDeviceFaults, type DeviceFaultKind } from './chaos/device-faults.ts';
import { checkInvariants, readOriginal, type DeviceOriginal } from './chaos/invariants.ts';
import { ChaosLab, familyModels, type LabDevice } from './chaos/lab.ts';
import { ChaosOperators, type ModelImages } from './chaos/operators.ts';
import { ProcessFaults } from './chaos/process-faults.ts';
import { Seeded } from './chaos/seeded.ts';
import { integerArg } from './fixtures/args.ts';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '100' },
    seed: { type: 'string', default: '1' },
    managers: { type: 'string', default: '2' },
    fleets: { type: 'string' },
    'limit-minutes': { type: 'string', default: '30' },
    /** Minutes after the first start during which process faults strike (they also stop once nearly every run is final). */
    'fault-minutes': { type: 'string' },
    /** Seconds between two process faults, drawn between the two figures. */
    'fault-gap': { type: 'string', default: '3-10' },
    /** Share of the devices that carry faults of their own. */
    'device-faults': { type: 'string', default: '0.5' },
    'image-kib': { type: 'string', default: '64' },
    'reboot-ms': { type: 'string', default: '300' },
    /** Second octet of the lab's addresses (127.N.0.0/16). */
    net: { type: 'string', default: '31' },
    keep: { type: 'boolean', default: false },
  },
});

const runs = integerArg('runs', args.runs, 4, 10_000);
const seed = integerArg('seed', args.seed, 0, 2 ** 32 - 1);
const managerCount = integerArg('managers', args.managers, 1, 4);
const fleetCount = integerArg('fleets', args.fleets ?? String(Math.max(2, Math.ceil(runs / 125))), 1, 64);
const limitMinutes = integerArg('limit-minutes', args['limit-minutes'], 1, 600);
const net = integerArg('net', args.net, 16, 250);
const faultMinutes = Number(args['fault-minutes'] ?? limitMinutes / 2);
if (!(faultMinutes > 0)) {
  process.stderr.write('--fault-minutes must be a number of minutes above 0\n');
  process.exit(2);
}
const gap = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(args['fault-gap']);
if (!gap || Number(gap[1]) > Number(gap[2]) || Number(gap[1]) <= 0) {
  process.stderr.write(`--fault-gap must be two numbers of seconds, e.g. 8-25\n`);
  process.exit(2);
}
const deviceFaultShare = Number(args['device-faults']);
const imageKiB = integerArg('image-kib', args['image-kib'], 1, 16_384);
const rebootMs = integerArg('reboot-ms', args['reboot-ms'], 0, 60_000);

const command = `node --import tsx bench/chaos.ts ${process.argv.slice(2).join(' ')}`.trim();
const started = Date.now();
const note = (text: string) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s] ${text}\n`);

const random = new Seeded(seed);
const deviceRandom = random.fork('devices');
const families: Array<[FamilyName, number]> = [
  ['safeflash', 4],
  ['huawei', 2],
  ['cisco-ios', 2],
  ['docsis', 2],
];
const plans = new Map<number, FaultPlan>();
const plannedFaults: Record<DeviceFaultKind, number> = Object.fromEntries(deviceFaultKinds.map((k) => [k, 0])) as Record<DeviceFaultKind, number>;

const lab = new ChaosLab({
  devices: runs,
  fleets: fleetCount,
  managers: managerCount,
  families,
  second: net,
  rebootMs,
  note,
  faults: (device) => plans.get(device.number) ?? {},
});
// Drawn in device order, before anything starts: the seed alone decides which device carries what.
for (const device of lab.devices) {
  const { plan, kinds } = drawDeviceFaults(deviceRandom, deviceFaultShare);
  plans.set(device.number, plan);
  for (const kind of kinds) plannedFaults[kind]++;
}

/** The new software per model: 2.0.0 (the reference IAD's reads configuration format 2: every run migrates), and a corrected 2.0.1. */
function images(): Map<string, { upgrade: Buffer; corrected: Buffer; configFormat: number }> {
  const key = readPrivateKey(keyPairFiles(vendorKeyPrefix(lab.vendorDir)).privateKeyFile);
  const out = new Map<string, { upgrade: Buffer; corrected: Buffer; configFormat: number }>();
  for (const [family, model] of Object.entries(familyModels) as Array<[FamilyName, string]>) {
    const configFormat = family === 'safeflash' ? 2 : 1;
    const pack = (version: string) => {
      const description = { model, version, configFormat };
      const software = packImage(description, randomBytes(imageKiB * 1024), key);
      // A vendor's image travels inside an envelope that names its family (as the family tests build them).
      return family === 'safeflash' ? software : packImage({ ...description, family }, software, key);
    };
    out.set(model, { upgrade: pack('2.0.0'), corrected: pack('2.0.1'), configFormat });
  }
  return out;
}

async function allSettled(operators: ChaosOperators): Promise<{ settled: boolean; open: number; line: string }> {
  const pool = lab.postgres!.pool;
  const runStates = await pool.query<{ state: string; count: string }>('SELECT state, count(*) FROM safeflash.runs GROUP BY state');
  const campaignStates = await pool.query<{ state: string; count: string }>('SELECT state, count(*) FROM safeflash.campaigns GROUP BY state');
  const open = (rows: Array<{ state: string; count: string }>, finals: readonly string[]) =>
    rows.filter((r) => !finals.includes(r.state)).reduce((sum, r) => sum + Number(r.count), 0);
  const openRuns = open(runStates.rows, finalRunStates);
  const openCampaigns = open(campaignStates.rows, finalCampaignStates);
  const line = `runs ${JSON.stringify(Object.fromEntries(runStates.rows.map((r) => [r.state, Number(r.count)])))}; campaigns ${JSON.stringify(Object.fromEntries(campaignStates.rows.map((r) => [r.state, Number(r.count)])))}`;
  return { settled: operators.allStarted && openRuns === 0 && openCampaigns === 0, open: openRuns + openCampaigns, line };
}

async function main(): Promise<number> {
  note(
    `chaos campaign: ${runs} devices (${families.map(([f, s]) => `${f} ${s}`).join(', ')} in every fleet), ${fleetCount} fleet processes, ${managerCount} managers, seed ${seed}`,
  );
  await lab.start();
  const originals = new Map<number, DeviceOriginal>();
  for (const device of lab.devices) originals.set(device.number, await readOriginal(device));
  const built = images();
  const modelImages = new Map<string, ModelImages>();
  const versionsOf = new Map<string, number>();
  for (const [model, { upgrade, corrected, configFormat }] of built) {
    const up = await lab.api.call<{ sha256: string }>('POST', '/api/images', { raw: upgrade, timeoutMs: 120_000 });
    const fix = await lab.api.call<{ sha256: string }>('POST', '/api/images', { raw: corrected, timeoutMs: 120_000 });
    modelImages.set(model, { upgrade: up.sha256, corrected: fix.sha256 });
    versionsOf.set(model, configFormat);
  }
  const inventory = await lab.discover();
  note(`${inventory.length} devices discovered; load average ${loadavg()[0]!.toFixed(1)}`);
  const byAddress = new Map(lab.devices.map((d) => [d.address, d]));
  const work = inventory.map((item) => ({ id: item.id, model: familyModels[byAddress.get(item.address)!.family] }));

  const operators = new ChaosOperators(() => lab.api, modelImages, random.fork('operators'), note);
  const faults = new ProcessFaults(lab, random.fork('processes'), { gapSeconds: [Number(gap![1]), Number(gap![2])] }, note);
  const workStarted = Date.now();
  await operators.startWork(work, 0.4, Math.min(90, Math.max(10, runs / 10)));
  faults.start();

  const deadline = started + limitMinutes * 60_000;
  // Faults strike while most of the work is under way, then stop, so that the campaign can settle
  // (a fleet process started again carries its devices' faults afresh: under endless power cuts a
  // device that fails every download after each would never let its run end).
  const faultsUntil = workStarted + faultMinutes * 60_000;
  let settled = false;
  let lastLine = 0;
  let faultsStopped = false;
  while (Date.now() < deadline) {
    await operators.tick();
    const state = await allSettled(operators).catch(() => undefined);
    if (state && Date.now() - lastLine > 15_000) {
      lastLine = Date.now();
      note(`${state.line}; load average ${loadavg()[0]!.toFixed(1)}`);
    }
    if (!faultsStopped && (Date.now() >= faultsUntil || (state && operators.allStarted && state.open <= Math.max(1, runs / 100)))) {
      faultsStopped = true;
      note('no more process faults: the campaign settles');
      await faults.stop();
    }
    if (state?.settled) {
      settled = true;
      break;
    }
    await sleep(1000);
  }
  await faults.stop();
  const workMinutes = (Date.now() - workStarted) / 60_000;
  // What the last fault left: every process is up again; a run it reopened finishes before the check.
  while (settled && Date.now() < deadline) {
    const state = await allSettled(operators).catch(() => undefined);
    if (state?.settled) break;
    await operators.tick();
    await sleep(1000);
  }
  note(settled ? 'settled: every run and campaign final; checking every device' : `NOT SETTLED after ${limitMinutes} minutes; checking what there is`);

  const vendorKey = readPublicKey(keyPairFiles(vendorKeyPrefix(lab.vendorDir)).publicKeyFile);
  const report = await checkInvariants({
    devices: lab.devices,
    port: lab.devicePort,
    originals,
    versions: (device: LabDevice) => ({
      original: originals.get(device.number)!.version,
      upgrades: ['2.0.0', '2.0.1'],
      configFormat: versionsOf.get(familyModels[device.family])!,
    }),
    models: (device) => familyModels[device.family],
    vendorKey,
    pool: lab.postgres!.pool,
  });

  const processCounts = faults.counts;
  const lines = [
    '',
    `chaos campaign, seed ${seed}: ${report.runs} runs on ${runs} devices (${fleetCount} fleet processes, ${managerCount} managers on ${lab.postgres!.source})`,
    `| figure | value |`,
    `|---|---|`,
    `| runs | ${report.runs}: ${Object.entries(report.runsByState)
      .map(([s, n]) => `${n} ${s}`)
      .join(', ')} |`,
    `| process faults injected | ${Object.entries(processCounts)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')} |`,
    `| device faults planned (devices carrying each) | ${Object.entries(plannedFaults)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')} |`,
    `| device faults struck (from the fleets' logs) | ${
      Object.entries(lab.struckFaults())
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || 'none'
    } |`,
    `| failures the runs met, by cause | ${
      Object.entries(report.failuresByCause)
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || 'none'
    } |`,
    `| operators | decisions ${JSON.stringify(operators.counts.decisions)}, ${operators.counts.refusedDecisions} refused and answered abort, ${operators.counts.approvals} approvals, ${operators.counts.resumes} resumes; ${operators.counts.apiErrors} calls met a manager or database down |`,
    `| processes that ended by themselves | ${lab.unexpectedExits.length === 0 ? 'none' : lab.unexpectedExits.join('; ')} |`,
    `| checked | ${report.devicesRead} of ${runs} devices read back; ${report.backups} backups; ${report.operations} operations recorded |`,
    `| violations | **${report.violations.length}**${settled ? '' : ' (and the campaign did not settle)'} |`,
    `| minutes | ${workMinutes.toFixed(1)} from the first start to settled; ${((Date.now() - started) / 60_000).toFixed(1)} in all |`,
  ];
  for (const v of report.violations.slice(0, 50))
    lines.push(`VIOLATION ${v.rule}: device ${v.device}${v.run ? ` run ${v.run}` : ''}: ${v.detail} (replay: --seed ${seed})`);
  if (report.violations.length > 50) lines.push(`... and ${report.violations.length - 50} more`);
  if (operators.refusedStarts.length > 0) lines.push(`runs refused at start: ${operators.refusedStarts.length}; first: ${operators.refusedStarts[0]}`);
  lines.push(`command: ${command}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  const failed = !settled || report.violations.length > 0;
  if (failed) process.stdout.write(`${lab.logTails(15)}\n`);
  return failed ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  process.stdout.write(`chaos campaign stopped: ${(error as Error).stack}\n${lab.logTails(20)}\n`);
} finally {
  await lab.cleanUp(args.keep);
  if (args.keep) note(`kept ${lab.dir}`);
}
process.exit(code);
