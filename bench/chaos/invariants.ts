// What must hold once a chaos campaign has settled, checked against the devices themselves (read over SNMP,
// and their disks: banks, configuration, operation table) and against what the managers recorded:
//   - every device boots a valid image (its next boot bank holds one that verifies);
//   - every configuration is the device's original or the migration of it;
//   - every run is final, and its state is true of the device;
//   - no step was executed twice on a device, and every operation the device ran was recorded;
//   - every backup is still in the store, whole;
//   - every run's timeline is complete: one end, no phase left open, no phase skipped over.
import { createHash, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { eachAtMost } from '../../src/common/each-at-most.ts';
import { BankStore } from '../../src/agent/banks.ts';
import { parseState } from '../../src/agent/device-state.ts';
import { family as familyNamed } from '../../src/families/families.ts';
import type { DeviceReading } from '../../src/families/family.ts';
import { DeviceDriver } from '../../src/manager/device-driver.ts';
import { operationIndexParts } from '../../src/manager/procedure/operation-index.ts';
import { finalRunStates } from '../../src/manager/store/records.ts';
import { configDigest, parseConfig, type DeviceConfig } from '../../src/protocol/config.ts';
import { inspectImageHeader } from '../../src/protocol/image.ts';
import { migrateConfig } from '../../src/protocol/config/migrations/registry.ts';
import { v3 } from '../../test/helpers/snmp-device.ts';
import type { LabDevice } from './lab.ts';

export interface Violation {
  rule: string;
  device: string;
  run: string | null;
  detail: string;
}

/** What a device was before the campaign: read from its disk before any run started. */
export interface DeviceOriginal {
  config: DeviceConfig;
  version: string;
}

export interface DeviceVersions {
  original: string;
  /** Versions a run may install: the campaign's image and the corrected one operators name. */
  upgrades: readonly string[];
  /** The configuration format the new software reads. */
  configFormat: number;
}

export async function readOriginal(device: LabDevice): Promise<DeviceOriginal> {
  const config = parseConfig(await readFile(join(device.stateDir, 'config', 'running.cfg')));
  const state = parseState(await readFile(join(device.stateDir, 'state.json'), 'utf8'));
  const versions = await bankVersions(device, undefined);
  return { config, version: versions[state.activeBank] ?? '?' };
}

/** The version in each bank: of an image that verifies for the model, with `trust`; else as its header says. */
async function bankVersions(device: LabDevice, trust: { key: KeyObject; model: string } | undefined): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  const store = new BankStore(join(device.stateDir, 'banks'), { trustedKeys: trust ? [trust.key] : [], model: trust?.model ?? '' });
  for (const bank of ['bankA', 'bankB'] as const) {
    if (trust) {
      const content = await store.inspect(bank);
      out[bank] = content.kind === 'image' ? content.header.version : undefined;
    } else {
      const image = await store.read(bank);
      out[bank] = image && inspectImageHeader(image).version;
    }
  }
  return out;
}

/** The configuration a device must hold after a run installed new software: its original, migrated when the format changes. */
export function migratedConfig(original: DeviceConfig, toFormat: number, model: string): DeviceConfig {
  return original.format === toFormat ? original : migrateConfig(original, model, toFormat).config;
}

interface RunRow {
  id: string;
  device_id: number;
  address: string;
  state: string;
  phase: string;
  outcome: { state?: string; runningVersion?: string | null; keptNewSoftware?: boolean; summary?: string } | null;
}

export interface EventRow {
  run_id: string;
  phase: string;
  kind: string;
  cause: string | null;
  detail: Record<string, unknown>;
}

const finalStates = new Set<string>(finalRunStates);
const phaseOrder = ['preflight', 'backup', 'upgrade', 'migrate', 'restore', 'verify'];

export interface CheckInput {
  devices: readonly LabDevice[];
  port: number;
  originals: ReadonlyMap<number, DeviceOriginal>;
  versions: (device: LabDevice) => DeviceVersions;
  models: (device: LabDevice) => string;
  vendorKey: KeyObject;
  pool: pg.Pool;
}

export interface CheckReport {
  violations: Violation[];
  runs: number;
  /** Devices that answered over SNMP and whose disk was read. */
  devicesRead: number;
  runsByState: Record<string, number>;
  backups: number;
  operations: number;
  /** Failures the runs met, by cause (from their timelines). */
  failuresByCause: Record<string, number>;
}

export async function checkInvariants(input: CheckInput): Promise<CheckReport> {
  const violations: Violation[] = [];
  const { pool } = input;
  const runs = (
    await pool.query<RunRow>(
      `SELECT r.id, r.device_id, host(d.address) AS address, r.state, r.phase, r.outcome
         FROM safeflash.runs r JOIN safeflash.devices d ON d.id = r.device_id ORDER BY r.created_at, r.id`,
    )
  ).rows;
  const events = (await pool.query<EventRow>('SELECT run_id, phase, kind, cause, detail FROM safeflash.run_events ORDER BY id')).rows;
  const routes = (
    await pool.query<{ device_id: number; op_index: string; run_id: string; phase: string; type: string }>(
      'SELECT device_id, op_index::text AS op_index, run_id, phase, type FROM safeflash.operation_routes',
    )
  ).rows;
  const timelines = new Map<string, EventRow[]>();
  for (const event of events) {
    const timeline = timelines.get(event.run_id);
    if (timeline) timeline.push(event);
    else timelines.set(event.run_id, [event]);
  }
  const failuresByCause: Record<string, number> = {};
  for (const event of events) {
    if (event.kind === 'phaseFailed' && event.cause) failuresByCause[event.cause] = (failuresByCause[event.cause] ?? 0) + 1;
  }

  const byAddress = new Map(input.devices.map((device) => [device.address, device]));
  for (const run of runs) {
    const timeline = timelines.get(run.id) ?? [];
    const say = (rule: string, detail: string) => violations.push({ rule, device: run.address, run: run.id, detail });
    if (!finalStates.has(run.state)) say('run not final', `state ${run.state} in ${run.phase}`);
    // A run migrates only when the new software reads another format than the device's configuration.
    const device = byAddress.get(run.address)!;
    const migrates = input.originals.get(device.number)!.config.format !== input.versions(device).configFormat;
    for (const problem of timelineProblems(run, timeline, migrates ? [] : ['migrate'])) say('timeline incomplete', problem);
  }

  const backups = await checkBackups(pool, violations);

  const runsOf = new Map<string, RunRow[]>();
  for (const run of runs) {
    const ofDevice = runsOf.get(run.address);
    if (ofDevice) ofDevice.push(run);
    else runsOf.set(run.address, [run]);
  }
  const deviceIds = new Map(runs.map((run) => [run.address, run.device_id]));
  let devicesRead = 0;
  await eachAtMost(16, input.devices, async (device) => {
    const say = (rule: string, run: string | null, detail: string) => violations.push({ rule, device: device.address, run, detail });
    const model = input.models(device);
    const versions = input.versions(device);
    const original = input.originals.get(device.number)!;
    let reading: DeviceReading | undefined;
    for (let tried = 0; tried < 5 && !reading; tried++) reading = await readOverSnmp(device, input.port).catch(() => undefined);
    if (!reading) {
      say('device silent', null, 'no answer over SNMP after five tries');
      return;
    }

    devicesRead++;
    const state = parseState(await readFile(join(device.stateDir, 'state.json'), 'utf8'));
    const banks = await bankVersions(device, { key: input.vendorKey, model });
    const config = parseConfig(await readFile(join(device.stateDir, 'config', 'running.cfg')));
    const digest = configDigest(config);
    const deviceRuns = runsOf.get(device.address) ?? [];
    const last = deviceRuns.at(-1);
    const problems = deviceProblems({
      versions,
      running: reading.runningVersion,
      nextBootVerifies: banks[state.nextBootBank] !== undefined,
      canRevert: familyNamed(device.family).capabilities.revert,
      configuration: {
        original: digest === configDigest(original.config),
        migrated: digest === configDigest(migratedConfig(original.config, versions.configFormat, model)),
        serial: config.serial === original.config.serial ? null : config.serial,
      },
      lastRun: last && {
        state: last.state,
        reported: last.outcome?.runningVersion ?? null,
        keptNewSoftware: last.outcome?.keptNewSoftware === true,
      },
    });
    for (const problem of problems) say(problem.rule, problem.rule === 'final state untrue' ? last!.id : null, problem.detail);
    if (!last) return;

    // Operations: every row the device keeps was ordered and recorded once, by one of this device's runs,
    // for an attempt its timeline shows. A family without an operation table (a modem) keeps no such rows.
    if (!familyNamed(device.family).capabilities.operationRows) return;
    const deviceId = deviceIds.get(device.address);
    const recorded = new Map(routes.filter((r) => r.device_id === deviceId).map((r) => [Number(r.op_index), r]));
    for (const row of await deviceOperations(device)) {
      const route = recorded.get(row.index);
      if (!route) {
        say('operation not recorded', null, `the device ran ${row.type} #${row.index}, which no run recorded ordering`);
        continue;
      }
      if (!sameOrder(device.family, route.type, row.type))
        say('operation mismatch', route.run_id, `#${row.index}: the device ran ${row.type}, the run ordered ${route.type}`);
      const parts = operationIndexParts(row.index);
      const run = deviceRuns.find((r) => r.id === route.run_id);
      if (!run) {
        say('operation of a stranger', route.run_id, `#${row.index} belongs to a run of another device`);
        continue;
      }
      const started = (timelines.get(run.id) ?? []).some(
        (e) => e.kind === 'phaseStarted' && e.phase === parts.phase && Number(e.detail.attempt ?? 0) === parts.attempt,
      );
      // A rollback's operations belong to the attempt that failed, not to a phase of their own.
      if (!started && parts.phase !== 'rollback')
        say('operation outside an attempt', run.id, `#${row.index} (${parts.phase} attempt ${parts.attempt}) has no such attempt in the timeline`);
    }
  });

  const runsByState: Record<string, number> = {};
  for (const run of runs) runsByState[run.state] = (runsByState[run.state] ?? 0) + 1;
  return { violations, runs: runs.length, devicesRead, runsByState, backups, operations: routes.length, failuresByCause };
}

/** What the chaos check learns of one device, from the device itself and from its last run's record. */
export interface DeviceFacts {
  versions: DeviceVersions;
  running: string;
  /** The bank the device boots next holds an image that verifies for its model. */
  nextBootVerifies: boolean;
  /** The family can order the device back to its old software (else a run that fails after the upgrade cannot undo it). */
  canRevert: boolean;
  /** Its configuration now against its original: equal, equal to the migration of it, and whose it is when not its own. */
  configuration: { original: boolean; migrated: boolean; serial: string | null };
  lastRun: { state: string; reported: string | null; keptNewSoftware: boolean } | undefined;
}

/**
 * The rules of DESIGN.md section 1 on a settled device: it boots a valid image of a known version, its
 * configuration is its original or the migration of it, and its last run's final state is true of it.
 */
export function deviceProblems(facts: DeviceFacts): Array<{ rule: string; detail: string }> {
  const problems: Array<{ rule: string; detail: string }> = [];
  const { versions, running, configuration, lastRun } = facts;
  if (!facts.nextBootVerifies) problems.push({ rule: 'no bootable image', detail: 'the bank it boots next holds no image that verifies' });
  if (![versions.original, ...versions.upgrades].includes(running)) problems.push({ rule: 'unknown software', detail: `runs ${running}` });
  if (!configuration.original && !configuration.migrated)
    problems.push({
      rule: 'configuration lost',
      detail: configuration.serial === null ? 'holds a changed configuration' : `holds the configuration of ${configuration.serial}`,
    });
  if (!lastRun) {
    if (running !== versions.original || !configuration.original) problems.push({ rule: 'changed without a run', detail: `runs ${running}` });
    return problems;
  }
  const untrue = (detail: string) => problems.push({ rule: 'final state untrue', detail: `${lastRun.state}: ${detail}` });
  const runsNew = versions.upgrades.includes(running);
  if (lastRun.reported !== null && lastRun.reported !== running) untrue(`the report says ${lastRun.reported}, the device runs ${running}`);
  switch (lastRun.state) {
    case 'verified':
      if (!runsNew) untrue(`the device runs ${running}`);
      if (!configuration.migrated) untrue('the configuration is not the original migrated for the new software');
      break;
    case 'rolledBack':
      if (running !== versions.original) untrue(`the device runs ${running}`);
      if (!configuration.original) untrue('the original configuration is not back');
      break;
    case 'failed':
    case 'aborted':
      // Where the family has no way back to order, the report saying what runs is all that can be asked.
      if (runsNew && !lastRun.keptNewSoftware && facts.canRevert) untrue(`the device was left on ${running} without an operator keeping it`);
      if (!runsNew && !configuration.original) untrue('the device runs its old software without its original configuration');
      break;
  }
  return problems;
}

/**
 * Whether the operation a device ran is the one its run ordered. On a VRP device a reboot and a revert
 * are one order (a reload on an image, hwSysReloadScheduleTable): the device names the operation by
 * whether that image was marked for its next boot, which a power cut in its first boot changes.
 */
export function sameOrder(family: string, ordered: string, ran: string): boolean {
  const reload = new Set(['reboot', 'revertSoftware']);
  return ordered === ran || (family === 'huawei' && reload.has(ordered) && reload.has(ran));
}

/** A run's timeline read against the procedure: one end that says the run's state, every phase closed, none skipped over. */
export function timelineProblems(run: { state: string }, timeline: readonly EventRow[], notInPlan: readonly string[]): string[] {
  const problems: string[] = [];
  const order = phaseOrder.filter((phase) => !notInPlan.includes(phase));
  const ends = timeline.filter((e) => e.kind === 'runEnded');
  if (finalStates.has(run.state)) {
    if (ends.length !== 1) problems.push(`${ends.length} runEnded events`);
    else if (timeline.at(-1) !== ends[0]) problems.push(`events after runEnded: ${timeline.slice(timeline.indexOf(ends[0]!) + 1).map((e) => e.kind)}`);
    else if (ends[0]!.cause !== run.state) problems.push(`runEnded says ${ends[0]!.cause}, the run is ${run.state}`);
  }
  const done = new Set<string>();
  let open: EventRow | undefined;
  for (const event of timeline) {
    if (event.kind === 'phaseStarted') {
      if (open && open.phase !== event.phase) problems.push(`${event.phase} started while ${open.phase} attempt ${open.detail.attempt} was open`);
      open = event;
      const index = order.indexOf(event.phase);
      const gap = order.slice(0, Math.max(index, 0)).filter((p) => !done.has(p));
      if (index > 0 && gap.length > 0) problems.push(`${event.phase} started before ${gap.join(', ')} ended`);
    } else if (event.kind === 'phaseSucceeded' || event.kind === 'phaseSkipped') {
      done.add(event.phase);
      if (event.kind === 'phaseSucceeded' && open?.phase !== event.phase) problems.push(`${event.phase} succeeded without being started`);
      open = undefined;
    } else if (event.kind === 'phaseFailed') {
      if (open?.phase !== event.phase) problems.push(`${event.phase} failed without being started`);
      open = undefined;
    }
  }
  if (run.state === 'verified') {
    const missing = order.filter((p) => !done.has(p));
    if (missing.length > 0) problems.push(`verified without ${missing.join(', ')}`);
  }
  return problems;
}

/** Every backup's bytes are in the store and hash to its name. */
async function checkBackups(pool: pg.Pool, violations: Violation[]): Promise<number> {
  const backups = (
    await pool.query<{ sha256: string; run_id: string | null; address: string; size: string }>(
      `SELECT b.sha256, b.run_id, host(d.address) AS address, b.size::text AS size FROM safeflash.backups b JOIN safeflash.devices d ON d.id = b.device_id`,
    )
  ).rows;
  for (const backup of backups) {
    const chunks = await pool.query<{ bytes: Buffer }>('SELECT bytes FROM safeflash.content_chunks WHERE sha256 = $1 ORDER BY seq', [backup.sha256]);
    const hash = createHash('sha256');
    let size = 0;
    for (const chunk of chunks.rows) {
      hash.update(chunk.bytes);
      size += chunk.bytes.length;
    }
    if (chunks.rows.length === 0)
      violations.push({ rule: 'backup lost', device: backup.address, run: backup.run_id, detail: `${backup.sha256} has no content` });
    else if (hash.digest('hex') !== backup.sha256 || size !== Number(backup.size))
      violations.push({ rule: 'backup damaged', device: backup.address, run: backup.run_id, detail: `${backup.sha256}: content does not hash to its name` });
  }
  return backups.length;
}

async function readOverSnmp(device: LabDevice, port: number): Promise<DeviceReading> {
  const driver = new DeviceDriver(
    { endpoint: { address: device.address, port }, security: v3, sourceAddress: '127.0.0.1', family: device.family },
    { timeoutMs: 3000 },
  );
  try {
    return await driver.read();
  } finally {
    driver.close();
  }
}

/** The device's operation table as it keeps it on disk (ops.json): index and type of every row. */
async function deviceOperations(device: LabDevice): Promise<Array<{ index: number; type: string }>> {
  let text: string;
  try {
    text = await readFile(join(device.stateDir, 'ops.json'), 'utf8');
  } catch {
    return [];
  }
  const rows = JSON.parse(text) as Array<{ index?: number; request?: { type?: string } }>;
  return rows.map((row) => ({ index: Number(row.index), type: String(row.request?.type) }));
}
