// Fault injection for virtual devices: what can go wrong, written as a plan a device follows.
// A plan comes from a scenario file (per device selector) or from CLI flags; the device keeps the
// remaining counts of countdown faults in memory only, so a restarted agent starts the plan afresh.
import { readFileSync } from 'node:fs';
import { failCauses, isOneOf, operationTypes } from '../protocol/vocabulary.ts';
import type { FailCause, OperationType } from '../protocol/vocabulary.ts';

/** Fail the next `count` operations of one kind with `cause` (count may be Infinity: every one). */
export interface FailNextFault {
  count: number;
  cause: FailCause;
}

/**
 * Cut the power when an operation of type `operation` reaches `percent` progress: the device stops
 * answering, drops the operation, forgets everything not yet on disk, and powers on again from disk
 * after `powerOffMs`. Happens `count` times.
 */
export interface PowerLossFault {
  operation: OperationType;
  percent: number;
  powerOffMs: number;
  count: number;
}

/** Slow file transfers: a pause at every progress step (a tenth of the file), or a byte rate. */
export interface SlowTransferFault {
  stepDelayMs?: number;
  bytesPerSecond?: number;
}

export interface FaultPlan {
  failBackups?: FailNextFault;
  failDownloads?: FailNextFault;
  failRestores?: FailNextFault;
  powerLoss?: PowerLossFault;
  /** The next N downloaded images get bytes flipped before verification. */
  corruptDownloads?: number;
  /** The next N boots of a newly written image fail (the device falls back). */
  failBoots?: number;
  /** The next N restores are refused with configFormatMismatch whatever the file says. */
  rejectConfigFormat?: number;
  /** Share (0..1) of notifications the SNMP layer drops instead of sending. */
  dropNotifications?: number;
  slowTransfers?: SlowTransferFault;
  /** After the next `count` boots into newly written software, port `port` (ifDescr) stays down. */
  portDownAfterUpgrade?: { port: string; count: number };
}

export type FaultName = keyof FaultPlan;

export class FaultPlanError extends Error {
  override name = 'FaultPlanError';
}

export const defaultPowerOffMs = 500;

// ---------------------------------------------------------------- CLI flags

/**
 * One `--fault` flag of safeflash-agent:
 *   fail-backup[=N|always][:cause]   fail-download[=...]   fail-restore[=...]   (cause defaults to serverUnreachable)
 *   power-loss=<operationType>@<percent>[:<powerOffMs>]
 *   corrupt-download[=N|always]   fail-boot[=N|always]   reject-config-format[=N|always]
 *   drop-notifications=<share 0..1>
 *   slow-transfer=<ms>ms | <bytes>Bps
 *   port-down-after-upgrade=<port>[:N|always]   (the port, e.g. lan1, stays down after new software boots)
 */
export function parseFaultFlag(text: string): Partial<FaultPlan> {
  const equals = text.indexOf('=');
  const name = (equals < 0 ? text : text.slice(0, equals)).trim();
  const value = equals < 0 ? undefined : text.slice(equals + 1).trim();
  const where = `fault "${text}"`;
  switch (name) {
    case 'fail-backup':
      return { failBackups: parseFailNextFlag(value, where) };
    case 'fail-download':
      return { failDownloads: parseFailNextFlag(value, where) };
    case 'fail-restore':
      return { failRestores: parseFailNextFlag(value, where) };
    case 'power-loss':
      return { powerLoss: parsePowerLossFlag(value, where) };
    case 'corrupt-download':
      return { corruptDownloads: parseCount(value ?? '1', where) };
    case 'fail-boot':
      return { failBoots: parseCount(value ?? '1', where) };
    case 'reject-config-format':
      return { rejectConfigFormat: parseCount(value ?? '1', where) };
    case 'drop-notifications':
      return { dropNotifications: parseShare(required(value, where, 'a share from 0 to 1'), where) };
    case 'slow-transfer':
      return { slowTransfers: parseSlowFlag(required(value, where, 'e.g. 200ms or 65536Bps'), where) };
    case 'port-down-after-upgrade': {
      const [port, count] = required(value, where, 'a port name, e.g. lan1 or lan1:2').split(':', 2);
      if (!/^[A-Za-z][A-Za-z0-9/.-]{0,31}$/.test(port!)) throw new FaultPlanError(`${where}: ${JSON.stringify(port)} is not a port name`);
      return { portDownAfterUpgrade: { port: port!, count: parseCount(count ?? '1', where) } };
    }
    default:
      throw new FaultPlanError(
        `unknown ${where}; known faults: fail-backup, fail-download, fail-restore, power-loss, corrupt-download, fail-boot, reject-config-format, drop-notifications, slow-transfer, port-down-after-upgrade`,
      );
  }
}

/** Several flags into one plan; a later flag for the same fault replaces an earlier one. */
export function parseFaultFlags(texts: readonly string[]): FaultPlan {
  return mergeFaultPlans(...texts.map(parseFaultFlag));
}

function required(value: string | undefined, where: string, what: string): string {
  if (value === undefined || value === '') throw new FaultPlanError(`${where} needs a value: ${what}`);
  return value;
}

function parseFailNextFlag(value: string | undefined, where: string): FailNextFault {
  const [countText, causeText] = (value ?? '').split(':', 2);
  return {
    count: parseCount(countText === undefined || countText === '' ? '1' : countText, where),
    cause: parseCause(causeText ?? 'serverUnreachable', where),
  };
}

function parsePowerLossFlag(value: string | undefined, where: string): PowerLossFault {
  const match = /^([A-Za-z]+)@(\d+(?:\.\d+)?)%?(?::(\d+))?$/.exec(required(value, where, '<operationType>@<percent>[:<powerOffMs>]'));
  if (!match) throw new FaultPlanError(`${where}: expected <operationType>@<percent>[:<powerOffMs>], e.g. downloadSoftware@50:1000`);
  return checkPowerLoss(
    { operation: match[1], percent: Number(match[2]), powerOffMs: match[3] === undefined ? defaultPowerOffMs : Number(match[3]), count: 1 },
    where,
  );
}

function parseSlowFlag(value: string, where: string): SlowTransferFault {
  const delay = /^(\d+)ms$/.exec(value);
  if (delay) return checkSlow({ stepDelayMs: Number(delay[1]) }, where);
  const rate = /^(\d+)Bps$/.exec(value);
  if (rate) return checkSlow({ bytesPerSecond: Number(rate[1]) }, where);
  throw new FaultPlanError(`${where}: expected <ms>ms (pause per tenth of a file) or <bytes>Bps (rate), e.g. 200ms`);
}

// ---------------------------------------------------------------- scenario files

/** A device selector: '*', a device number '7', a range '1-10', or a comma list of those. */
export type DeviceSelector = string;

export interface ScenarioEntry {
  selector: DeviceSelector;
  plan: FaultPlan;
}

export interface Scenario {
  description: string;
  /** In file order: for a device, later matching entries override earlier ones fault by fault. */
  entries: ScenarioEntry[];
}

/**
 * A scenario file:
 *   { "description": "...", "devices": { "*": { "dropNotifications": 0.1 },
 *                                        "1-10": { "failDownloads": { "count": 1, "cause": "transferTimeout" } },
 *                                        "12": ["power-loss=downloadSoftware@50:1000"] } }
 * A plan is an object with FaultPlan's fields (counts may be "always") or a list of CLI fault flags.
 */
export function loadScenario(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new FaultPlanError(`cannot read scenario ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FaultPlanError(`scenario ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseScenario(json, path);
}

export function parseScenario(json: unknown, source = 'scenario'): Scenario {
  if (!isRecord(json)) throw new FaultPlanError(`${source}: expected a JSON object with "devices"`);
  const unknownKeys = Object.keys(json).filter((key) => key !== 'description' && key !== 'devices');
  if (unknownKeys.length > 0) throw new FaultPlanError(`${source}: unknown field ${unknownKeys.join(', ')} (expected description, devices)`);
  if (json.description !== undefined && typeof json.description !== 'string') throw new FaultPlanError(`${source}: description must be text`);
  if (!isRecord(json.devices)) throw new FaultPlanError(`${source}: "devices" must map device selectors to fault plans`);
  const entries = Object.entries(json.devices).map(([selector, plan]) => {
    const where = `${source}: devices["${selector}"]`;
    parseSelector(selector, where);
    return { selector, plan: parsePlan(plan, where) };
  });
  return { description: json.description ?? '', entries };
}

/** The plan of device number `device` (1-based) under a scenario. */
export function faultPlanFor(scenario: Scenario, device: number): FaultPlan {
  return mergeFaultPlans(...scenario.entries.filter((entry) => selectorMatches(entry.selector, device)).map((entry) => entry.plan));
}

export function selectorMatches(selector: DeviceSelector, device: number): boolean {
  return parseSelector(selector, `selector "${selector}"`).some(([low, high]) => device >= low && device <= high);
}

function parseSelector(selector: string, where: string): Array<[number, number]> {
  return selector.split(',').map((part) => {
    const item = part.trim();
    if (item === '*') return [1, Number.POSITIVE_INFINITY];
    const match = /^(\d+)(?:-(\d+))?$/.exec(item);
    const low = Number(match?.[1]);
    const high = match?.[2] === undefined ? low : Number(match[2]);
    if (!match || low < 1 || high < low) throw new FaultPlanError(`${where}: bad device selector "${item}" (use *, 7, 1-10 or a comma list)`);
    return [low, high];
  });
}

function parsePlan(json: unknown, where: string): FaultPlan {
  if (Array.isArray(json)) {
    if (!json.every((item) => typeof item === 'string')) throw new FaultPlanError(`${where}: a list plan holds fault flags (text)`);
    return parseFaultFlags(json);
  }
  if (!isRecord(json)) throw new FaultPlanError(`${where}: a plan is an object or a list of fault flags`);
  const plan: FaultPlan = {};
  for (const [key, value] of Object.entries(json)) {
    const at = `${where}.${key}`;
    switch (key) {
      case 'failBackups':
      case 'failDownloads':
      case 'failRestores':
        plan[key] = parseFailNextObject(value, at);
        break;
      case 'powerLoss': {
        if (!isRecord(value)) throw new FaultPlanError(`${at}: expected { operation, percent, powerOffMs?, count? }`);
        plan.powerLoss = checkPowerLoss(
          {
            operation: value.operation,
            percent: value.percent,
            powerOffMs: value.powerOffMs ?? defaultPowerOffMs,
            count: value.count === undefined ? 1 : countOf(value.count, `${at}.count`),
          },
          at,
        );
        break;
      }
      case 'corruptDownloads':
      case 'failBoots':
      case 'rejectConfigFormat':
        plan[key] = countOf(value, at);
        break;
      case 'dropNotifications':
        if (typeof value !== 'number') throw new FaultPlanError(`${at}: expected a share from 0 to 1`);
        plan.dropNotifications = parseShare(String(value), at);
        break;
      case 'slowTransfers':
        if (!isRecord(value)) throw new FaultPlanError(`${at}: expected { stepDelayMs } or { bytesPerSecond }`);
        plan.slowTransfers = checkSlow(value, at);
        break;
      case 'portDownAfterUpgrade':
        if (!isRecord(value) || typeof value.port !== 'string' || value.port === '') throw new FaultPlanError(`${at}: expected { port, count? }`);
        plan.portDownAfterUpgrade = { port: value.port, count: value.count === undefined ? 1 : countOf(value.count, `${at}.count`) };
        break;
      default:
        throw new FaultPlanError(
          `${where}: unknown fault ${key}; known: failBackups, failDownloads, failRestores, powerLoss, corruptDownloads, failBoots, rejectConfigFormat, dropNotifications, slowTransfers, portDownAfterUpgrade`,
        );
    }
  }
  return plan;
}

function parseFailNextObject(value: unknown, where: string): FailNextFault {
  if (typeof value === 'number' || value === 'always') return { count: countOf(value, where), cause: 'serverUnreachable' };
  if (!isRecord(value)) throw new FaultPlanError(`${where}: expected { count, cause } or a count`);
  return {
    count: value.count === undefined ? 1 : countOf(value.count, `${where}.count`),
    cause: parseCause(value.cause === undefined ? 'serverUnreachable' : String(value.cause), where),
  };
}

// ---------------------------------------------------------------- shared checks

function parseCount(text: string, where: string): number {
  if (text === 'always') return Number.POSITIVE_INFINITY;
  if (!/^\d{1,9}$/.test(text)) throw new FaultPlanError(`${where}: count must be a whole number or "always", got "${text}"`);
  return Number(text);
}

function countOf(value: unknown, where: string): number {
  if (value === 'always') return Number.POSITIVE_INFINITY;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new FaultPlanError(`${where}: count must be a whole number or "always"`);
  }
  return value;
}

function parseCause(text: string, where: string): FailCause {
  if (!isOneOf(failCauses, text) || text === 'none') {
    throw new FaultPlanError(`${where}: unknown fail cause "${text}"; one of ${failCauses.filter((c) => c !== 'none').join(', ')}`);
  }
  return text;
}

function parseShare(text: string, where: string): number {
  const share = Number(text);
  if (text === '' || !Number.isFinite(share) || share < 0 || share > 1) throw new FaultPlanError(`${where}: share must be from 0 to 1, got "${text}"`);
  return share;
}

function checkPowerLoss(value: Record<string, unknown>, where: string): PowerLossFault {
  const { operation, percent, powerOffMs, count } = value;
  if (!isOneOf(operationTypes, operation)) {
    throw new FaultPlanError(`${where}: operation must be one of ${operationTypes.join(', ')}, got ${JSON.stringify(operation)}`);
  }
  if (typeof percent !== 'number' || !(percent >= 0 && percent <= 100)) throw new FaultPlanError(`${where}: percent must be from 0 to 100`);
  if (typeof powerOffMs !== 'number' || !Number.isInteger(powerOffMs) || powerOffMs < 0 || powerOffMs > 3_600_000) {
    throw new FaultPlanError(`${where}: powerOffMs must be a whole number of milliseconds up to one hour`);
  }
  if (typeof count !== 'number' || count < 0) throw new FaultPlanError(`${where}: count must be a whole number or "always"`);
  return { operation: operation as OperationType, percent, powerOffMs, count };
}

function checkSlow(value: Record<string, unknown>, where: string): SlowTransferFault {
  const unknownKeys = Object.keys(value).filter((key) => key !== 'stepDelayMs' && key !== 'bytesPerSecond');
  if (unknownKeys.length > 0) throw new FaultPlanError(`${where}: unknown field ${unknownKeys.join(', ')}`);
  const { stepDelayMs, bytesPerSecond } = value;
  if (stepDelayMs !== undefined && (typeof stepDelayMs !== 'number' || !Number.isInteger(stepDelayMs) || stepDelayMs < 0 || stepDelayMs > 600_000)) {
    throw new FaultPlanError(`${where}: stepDelayMs must be a whole number of milliseconds up to 600000`);
  }
  if (bytesPerSecond !== undefined && (typeof bytesPerSecond !== 'number' || !Number.isInteger(bytesPerSecond) || bytesPerSecond < 1)) {
    throw new FaultPlanError(`${where}: bytesPerSecond must be a whole number above 0`);
  }
  if (stepDelayMs === undefined && bytesPerSecond === undefined) throw new FaultPlanError(`${where}: give stepDelayMs or bytesPerSecond`);
  return { ...(stepDelayMs !== undefined && { stepDelayMs }), ...(bytesPerSecond !== undefined && { bytesPerSecond }) } as SlowTransferFault;
}

export function mergeFaultPlans(...plans: ReadonlyArray<Partial<FaultPlan>>): FaultPlan {
  const merged: FaultPlan = {};
  for (const plan of plans) {
    for (const [key, value] of Object.entries(plan)) {
      if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
    }
  }
  return merged;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
