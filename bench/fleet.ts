// End-to-end upgrade throughput and what the manager costs: a virtual fleet (`safeflash-agent`, its own
// process) and a manager (`safeflash serve`, its own process with its embedded PostgreSQL), the devices
// discovered over SNMP, one signed 1 MiB image whose software expects configuration format 2 (so every
// run backs up, upgrades, migrates 1 -> 2, restores and verifies), one run per device through the API.
// Prints devices per minute (first run started -> last run final), outcomes, the manager's CPU seconds
// (its Node.js process and its PostgreSQL processes, from /proc) and peak memory, with the command.
//
//   node --import tsx bench/fleet.ts --devices 100
//   node --import tsx bench/fleet.ts --devices 1000 [--reboot-ms 200] [--limit-seconds S] [--manager-profile DIR] [--pg-statements]
//
// Bounded: gives up waiting after --limit-seconds (default 60 s + 0.9 s per device) and says so. Every
// run removes what it made: both processes (and PostgreSQL) are stopped, the temporary directory removed.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureVendorSoftware, factoryImagePath, vendorKeyPrefix } from '../src/agent/vendor-key.ts';
import { operatorTokenFile } from '../src/manager/startup/operator-token.ts';
import { packImage } from '../src/protocol/image.ts';
import { keyPairFiles, readPrivateKey } from '../src/protocol/keys.ts';
import { finalStates, inParallel, ManagerApi, type DeviceJson, type RunDetailJson, type RunJson } from './fleet/api.ts';
import { startChild, type BenchChild } from './fleet/child-process.ts';
import { PostgresStats, type PostgresCounters } from './fleet/postgres-stats.ts';
import { eventCounts, phaseDurations } from './fleet/timelines.ts';
import { TreeSampler, type ProcessSample, type TreeSample } from './fleet/process-stats.ts';

const MiB = 1024 * 1024;
const model = 'IAD-2400';
const baseAddress = '127.20.0.1';
/** A /22 holds 1,022 host addresses from 127.20.0.1: enough for the largest fleet this bench starts. */
const discoveryBlock = '127.20.0.0/22';
const maxDevices = 1022;
const root = resolve(import.meta.dirname, '..');
const agentBin = join(root, 'bin', 'safeflash-agent.js');
const managerBin = join(root, 'bin', 'safeflash.js');

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '100' },
    'reboot-ms': { type: 'string', default: '200' },
    'limit-seconds': { type: 'string' },
    'start-width': { type: 'string', default: '16' },
    /** Where the manager writes a V8 CPU profile (.cpuprofile) when it stops: what its CPU seconds went to. */
    'manager-profile': { type: 'string' },
    /** Print the statements PostgreSQL ran most often (needs a PostgreSQL started with pg_stat_statements preloaded). */
    'pg-statements': { type: 'boolean', default: false },
  },
});

function integerArg(name: string, value: string | undefined, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    process.stderr.write(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}\n`);
    process.exit(2);
  }
  return n;
}

const devices = integerArg('devices', args.devices, 1, maxDevices);
const rebootMs = integerArg('reboot-ms', args['reboot-ms'], 0, 60_000);
const limitSeconds = integerArg('limit-seconds', args['limit-seconds'] ?? String(Math.round(60 + 0.9 * devices)), 10, 86_400);
/** POST /api/runs calls in flight at once while starting the runs. */
const startWidth = integerArg('start-width', args['start-width'], 1, 256);
const command = ['node --import tsx bench/fleet.ts', ...process.argv.slice(2)].join(' ');

const say = (text: string) => process.stdout.write(`${text}\n`);
const note = (text: string) => process.stderr.write(`[fleet bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
const seconds = (ms: number) => (ms / 1000).toFixed(1);
const mib = (kib: number) => (kib / 1024).toFixed(1);

const dir = mkdtempSync(join(tmpdir(), 'sf-bench-fleet-'));
// PostgreSQL runs as a dedicated user when we are root: it must be able to reach its data directory.
chmodSync(dir, 0o755);
const children: BenchChild[] = [];
let cleaned = false;

async function cleanUp(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  // The manager first: its orderly stop ends the runs' workflows and PostgreSQL.
  for (const child of [...children].reverse()) await child.stop(30_000).catch((error: Error) => note(`stopping ${child.name}: ${error.message}`));
  rmSync(dir, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    note(`${signal}: cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });
}

function randomPort(): number {
  return 20_000 + Math.floor(Math.random() * 20_000);
}

async function startFleet(): Promise<{ fleet: BenchChild; port: number; trustedKey: string }> {
  const vendorDir = join(dir, 'vendor');
  ensureVendorSoftware(vendorDir, model);
  const trustedKey = keyPairFiles(vendorKeyPrefix(vendorDir)).publicKeyFile;
  const port = randomPort();
  const fleet = startChild('fleet', [
    agentBin, '--devices', String(devices), '--base-address', baseAddress, '--port', String(port),
    '--state-dir', join(dir, 'fleet'), '--model', model, '--reboot-ms', String(rebootMs),
    '--trusted-key', trustedKey, '--factory-image', factoryImagePath(vendorDir, model), '--json',
  ], join(dir, 'fleet.log'));
  children.push(fleet);
  await fleet.waitFor(/"event":"ready"/, 60_000 + 100 * devices);
  return { fleet, port, trustedKey };
}

async function startManager(trustedKey: string): Promise<{ manager: BenchChild; api: ManagerApi }> {
  const profile = args['manager-profile'] ? ['--cpu-prof', `--cpu-prof-dir=${resolve(args['manager-profile'])}`] : [];
  const manager = startChild('manager', [
    ...profile, managerBin, 'serve', '--data-dir', join(dir, 'manager'),
    '--http-port', '0', '--snmp-port', '0', '--tftp-port', '0', '--ftp-port', '0', '--trusted-key', trustedKey,
  ], join(dir, 'manager.log'));
  children.push(manager);
  const match = await manager.waitFor(/API (http:\/\/[0-9.]+:[0-9]+)/, 120_000);
  // The manager writes its first operator token there before its API listens.
  const token = readFileSync(operatorTokenFile(join(dir, 'manager')), 'utf8').trim();
  return { manager, api: new ManagerApi(match[1]!, token) };
}

function signedImage(): Buffer {
  const key = readPrivateKey(keyPairFiles(vendorKeyPrefix(join(dir, 'vendor'))).privateKeyFile);
  const image = packImage({ model, version: '2.0.0', configFormat: 2 }, randomBytes(MiB), key);
  writeFileSync(join(dir, 'upgrade.sfimg'), image);
  return image;
}

interface Finish {
  runs: RunJson[];
  details: RunDetailJson[];
  gaveUp: boolean;
}

/** Polls until no run is running or waiting any more; true when the limit passed first. */
async function awaitRuns(api: ManagerApi, ids: Set<string>, startedAt: number): Promise<boolean> {
  const deadline = startedAt + limitSeconds * 1000;
  let lastReport = 0;
  let gaveUp = false;
  for (;;) {
    const unfinished = [...(await api.runsIn('running')), ...(await api.runsIn('waiting'))].filter((r) => ids.has(r.id));
    if (Date.now() - lastReport >= 15_000) {
      lastReport = Date.now();
      // Each list holds at most 100 runs: a count of 100 means "100 or more".
      note(`${seconds(Date.now() - startedAt)} s: unfinished runs by state/phase (lists capped at 100) ${JSON.stringify(countBy(unfinished, (r) => `${r.state}/${r.phase}`))}`);
    }
    if (unfinished.length === 0) break;
    if (Date.now() >= deadline) {
      gaveUp = true;
      break;
    }
    await sleep(devices > 200 ? 3000 : 1000);
  }
  return gaveUp;
}

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

function part(sample: TreeSample, which: (p: ProcessSample) => boolean): ProcessSample[] {
  return sample.children.filter(which);
}
const isPostgres = (p: ProcessSample) => p.command.startsWith('postgres');
const cpuOf = (list: ProcessSample[]) => list.reduce((sum, p) => sum + p.cpuSeconds, 0);

interface DatabaseUse {
  before: PostgresCounters;
  after: PostgresCounters;
}

function report(finish: Finish, sampler: TreeSampler, fleetSampler: TreeSampler, database: DatabaseUse | undefined, firstPost: number, lastPost: number, loadAtStart: number[]): void {
  const { runs, gaveUp } = finish;
  const first = sampler.first!;
  const last = sampler.last!;
  const managerCpu = last.root.cpuSeconds - first.root.cpuSeconds;
  const postgresCpu = cpuOf(part(last, isPostgres)) - cpuOf(part(first, isPostgres));
  const otherCpu = cpuOf(part(last, (p) => !isPostgres(p))) - cpuOf(part(first, (p) => !isPostgres(p)));
  const totalCpu = managerCpu + postgresCpu + otherCpu;
  const fleetCpu = fleetSampler.last && fleetSampler.first ? fleetSampler.last.root.cpuSeconds - fleetSampler.first.root.cpuSeconds : NaN;

  const created = runs.map((r) => Date.parse(r.createdAt));
  const finals = runs.filter((r) => finalStates.has(r.state));
  const ended = finals.map((r) => Date.parse(r.updatedAt));
  const spanMs = finals.length > 0 ? Math.max(...ended) - Math.min(...created) : NaN;
  const durations = finals.map((r) => Date.parse(r.updatedAt) - Date.parse(r.createdAt)).sort((a, b) => a - b);
  const pct = (p: number) => (durations.length ? seconds(durations[Math.min(durations.length - 1, Math.floor(p * durations.length))]!) : '-');
  const states = countBy(runs, (r) => r.state);
  const failures = countBy(finals.filter((r) => r.state !== 'verified'), (r) => (r.outcome?.summary ?? '').slice(0, 120));

  say('');
  say(`$ ${command}`);
  say(`fleet: ${devices} virtual devices (one safeflash-agent process), reboot ${rebootMs} ms; image 1 MiB, version 2.0.0 expecting config format 2 (every run migrates 1 -> 2); TFTP; policy: default retries, then abort`);
  say(`machine: ${cpus().length} cores shared with other engineers' test runs (load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')} at start, ${loadavg().map((l) => l.toFixed(2)).join(' ')} at end): figures are indicative`);
  if (gaveUp) say(`GAVE UP after the ${limitSeconds} s limit: ${runs.length - finals.length} of ${runs.length} runs not final (${JSON.stringify(countBy(runs.filter((r) => !finalStates.has(r.state)), (r) => `${r.state}/${r.phase}`))})`);
  say(`end to end: ${(finals.length / (spanMs / 60_000)).toFixed(1)} devices/minute (${finals.length} final runs, first run started -> last run final ${seconds(spanMs)} s; starting all ${runs.length} runs took ${seconds(lastPost - firstPost)} s)`);
  say(`runs: ${states.verified ?? 0} verified, ${finals.length - (states.verified ?? 0)} failed/rolled back/aborted ${JSON.stringify(states)}; run time p50 ${pct(0.5)} s, p90 ${pct(0.9)} s, max ${pct(1)} s`);
  for (const [summary, count] of Object.entries(failures)) say(`  ${count} x ${summary}`);
  say(`time per phase: ${phaseDurations(finish.details).join('; ')}`);
  say(`operations and retries: ${JSON.stringify(eventCounts(finish.details))}`);
  say(`manager CPU over the run: ${totalCpu.toFixed(1)} s = node ${managerCpu.toFixed(1)} s + PostgreSQL ${postgresCpu.toFixed(1)} s` +
    (otherCpu > 0.05 ? ` + other children ${otherCpu.toFixed(1)} s` : '') +
    `; ${((1000 * totalCpu) / devices).toFixed(0)} ms per device (fleet agent process, for scale: ${fleetCpu.toFixed(1)} s)`);
  if (database) {
    const commits = database.after.commits - database.before.commits;
    const rows = database.after.rowsWritten - database.before.rowsWritten;
    const wal = database.after.walBytes - database.before.walBytes;
    say(`PostgreSQL over the run: ${commits} transactions committed (${(commits / devices).toFixed(0)} per device), ${rows} rows written (${(rows / devices).toFixed(0)} per device), ${mib(wal / 1024)} MiB of WAL (${(wal / devices / 1024).toFixed(0)} KiB per device)`);
  }
  const hwm = last.root.hwmKiB;
  const pgRss = sampler.peakChildrenRssKiB;
  const pgPss = sampler.peakChildrenPssKiB;
  say(`manager peak memory: VmHWM ${mib(hwm)} MiB (${(hwm / devices).toFixed(0)} KiB per device); PostgreSQL peak total RSS ${mib(pgRss)} MiB over up to ${sampler.peakChildrenCount} postgres processes (${(pgRss / devices).toFixed(0)} KiB per device; shared buffers counted once per process)` +
    (pgPss !== undefined ? `, peak total PSS ${mib(pgPss)} MiB (${(pgPss / devices).toFixed(0)} KiB per device)` : ''));
}

/**
 * Discovery until every device is in the inventory: on a loaded machine some SNMPv3 first contacts
 * (engine discovery, then the read) miss their time limit, and a repeated discovery adds only those.
 */
async function discover(api: ManagerApi, port: number): Promise<DeviceJson[]> {
  type Report = { found: Array<{ device: DeviceJson; added: boolean }>; unreadable: unknown[] };
  const attempts = 4;
  for (let attempt = 1; ; attempt++) {
    const report = await api.call<Report>('POST', '/api/devices/discover', {
      json: { cidr: discoveryBlock, port, concurrency: 256, timeoutMs: 3000 * attempt },
      timeoutMs: 900_000,
    });
    const inventory = await api.call<DeviceJson[]>('GET', '/api/devices');
    if (inventory.length === devices) return inventory;
    const message = `discovery ${attempt}: ${report.found.length} answered, ${inventory.length} of ${devices} devices in the inventory (${report.unreadable.length} unreadable)`;
    if (attempt === attempts) throw new Error(message);
    note(`${message}; again with a longer time limit`);
  }
}

async function main(): Promise<number> {
  const loadAtStart = loadavg();
  note(`temporary directory ${dir}; limit ${limitSeconds} s`);
  const { fleet, port, trustedKey } = await startFleet();
  note(`fleet of ${devices} ready on ${baseAddress}.. port ${port}`);
  const { manager, api } = await startManager(trustedKey);
  note(`manager at ${api.url} (pid ${manager.pid})`);

  const found = await discover(api, port);
  note(`discovered ${found.length} devices`);
  const image = await api.call<{ sha256: string }>('POST', '/api/images', { raw: signedImage(), timeoutMs: 120_000 });

  const stats = await PostgresStats.connect(join(dir, 'manager', 'postgres'), (reason) => note(`no PostgreSQL statistics: ${reason}`));
  const countingStatements = args['pg-statements'] && stats ? await stats.countStatements() : false;
  if (args['pg-statements'] && !countingStatements) note('--pg-statements: pg_stat_statements is not preloaded in this PostgreSQL; no statement counts');
  const before = await stats?.read();
  const sampler = new TreeSampler(manager.pid, isPostgres);
  const fleetSampler = new TreeSampler(fleet.pid);
  sampler.start(1000);
  fleetSampler.start(5000);
  const ids = new Set<string>();
  const policy = Object.fromEntries(['preflight', 'backup', 'upgrade', 'migrate', 'restore'].map((phase) => [phase, { then: 'abort' }]));
  const firstPost = Date.now();
  const refused: string[] = [];
  await inParallel(found, startWidth, async (device) => {
    try {
      const run = await api.call<RunJson>('POST', '/api/runs', { json: { device: String(device.id), image: image.sha256, policy, operator: 'bench' } });
      ids.add(run.id);
    } catch (error) {
      refused.push(`${device.name}: ${(error as Error).message}`);
    }
  });
  const lastPost = Date.now();
  note(`${ids.size} runs started in ${seconds(lastPost - firstPost)} s${refused.length ? `; ${refused.length} refused, first: ${refused[0]}` : ''}`);
  const gaveUp = await awaitRuns(api, ids, firstPost);
  sampler.stop();
  fleetSampler.stop();
  const after = await stats?.read();
  const statements = countingStatements ? await stats!.topStatements(25) : [];
  const steps = args['pg-statements'] && stats ? await stats.stepsByName().catch(() => []) : [];
  await stats?.close();
  // Read after the measurement: a thousand timelines are work for the manager that no upgrade needs.
  const details: RunDetailJson[] = [];
  await inParallel([...ids], 8, async (id) => {
    details.push(await api.runDetail(id));
  });
  const finish: Finish = { runs: details.map((d) => d.run), details, gaveUp };
  report(finish, sampler, fleetSampler, before && after ? { before, after } : undefined, firstPost, lastPost, loadAtStart);
  if (refused.length) say(`${refused.length} runs refused at start; first: ${refused[0]}`);
  if (statements.length > 0) {
    const total = statements.reduce((sum, s) => sum + s.calls, 0);
    say(`most frequent statements (top 25: ${total} calls, ${(total / devices).toFixed(0)} per device):`);
    for (const s of statements) say(`  ${String(s.calls).padStart(8)} calls ${(s.ms / 1000).toFixed(1).padStart(6)} s  ${s.query.slice(0, 150)}`);
  }
  if (steps.length > 0) {
    const total = steps.reduce((sum, s) => sum + s.count, 0);
    say(`durable steps recorded: ${total} (${(total / devices).toFixed(1)} per device): ${steps.map((s) => `${s.name} ${(s.count / devices).toFixed(1)}`).join(', ')}`);
  }
  return finish.gaveUp || refused.length > 0 ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  process.stderr.write(`fleet bench failed: ${(error as Error).stack ?? error}\n`);
  for (const child of children) process.stderr.write(`--- last lines of ${child.name}'s log:\n${child.tail(15)}\n`);
} finally {
  await cleanUp();
}
process.exit(code);
