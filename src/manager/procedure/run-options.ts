// A run's options as an operator, a campaign or a device's inventory entry asks for them, checked and
// resolved once, when the run starts: the run's own choice, then its campaign's, then the device's
// default, then the manager's. The result is stored with the run, so a resumed run works the same way.
import { transferProtocols, type TransferProtocol } from '../../protocol/transfer-contract.ts';
import { isOneOf } from '../../protocol/vocabulary.ts';
import { type CheckName, checkNames, isCheckName } from './checks.ts';
import { type Converter, converters, timeLimitNames, type RunOptions, type TimeLimitName, type TimeLimits } from '../store/records.ts';

/** The longest time limit: a week. A limit is a bound on silence, not a schedule. */
export const maxTimeLimitSeconds = 7 * 86_400;

export interface RunOptionsRequest {
  transport?: TransferProtocol;
  /** Limits not named keep the next level's. */
  timeLimits?: Partial<TimeLimits>;
  /** Install the image even when the device already runs it (overwriting the other bank). */
  reinstall?: boolean;
  /** Who converts the configuration when the new software reads another format (a device only where its family can). */
  converter?: Converter;
  /** Stop once the image is staged in the inactive bank; the run is activated later. */
  stage?: boolean;
  /** Activate only once the device has no call in progress. */
  whenIdle?: boolean;
  /** Checks to leave out, by name. */
  skipChecks?: CheckName[];
}

/** What the manager uses when neither the run, its campaign nor the device says. */
export interface RunDefaults {
  transport: TransferProtocol;
  timeLimits: TimeLimits;
}

export class RunOptionsError extends Error {
  override name = 'RunOptionsError';
}

export function isTransport(value: unknown): value is TransferProtocol {
  return isOneOf(transferProtocols, value);
}

export function checkTransport(value: unknown): TransferProtocol {
  if (!isTransport(value)) throw new RunOptionsError(`transport must be ${transferProtocols.join(' or ')}, got ${JSON.stringify(value)}`);
  return value;
}

/** Checks limits given as an object ({ backup: 120, download: 900 }); throws RunOptionsError naming every problem. */
export function checkTimeLimits(value: unknown): Partial<TimeLimits> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RunOptionsError(`time limits are seconds per limit, e.g. { "backup": 120, "download": 900 }; limits: ${timeLimitNames.join(', ')}`);
  }
  const problems: string[] = [];
  const limits: Partial<TimeLimits> = {};
  for (const [name, seconds] of Object.entries(value)) {
    if (!(timeLimitNames as readonly string[]).includes(name)) problems.push(`no time limit ${JSON.stringify(name)}; limits: ${timeLimitNames.join(', ')}`);
    else if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1 || seconds > maxTimeLimitSeconds) {
      problems.push(`time limit ${name} must be a whole number of seconds from 1 to ${maxTimeLimitSeconds}, got ${JSON.stringify(seconds)}`);
    } else limits[name as TimeLimitName] = seconds;
  }
  if (problems.length > 0) throw new RunOptionsError(problems.join('; '));
  return limits;
}

/** The one written form of time limits, on every command line: "backup=120,download=900". */
export const timeLimitsSyntax = `NAME=SECONDS,... with NAME one of ${timeLimitNames.join(', ')}`;

export function parseTimeLimits(text: string): Partial<TimeLimits> {
  const given: Record<string, number> = {};
  for (const part of text.split(',').map((p) => p.trim())) {
    const match = /^([A-Za-z]+)=([0-9]+)$/.exec(part);
    if (!match) throw new RunOptionsError(`time limits are ${timeLimitsSyntax}, got ${JSON.stringify(part)}`);
    if (match[1]! in given) throw new RunOptionsError(`time limit ${match[1]} is given twice`);
    given[match[1]!] = Number(match[2]);
  }
  return checkTimeLimits(given);
}

/** Checks an options request (API body, campaign file); throws RunOptionsError. */
export function checkRunOptions(request: unknown): RunOptionsRequest {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) throw new RunOptionsError('run options are an object');
  const r = request as Record<string, unknown>;
  return {
    ...(r.transport !== undefined ? { transport: checkTransport(r.transport) } : {}),
    ...(r.timeLimits !== undefined ? { timeLimits: checkTimeLimits(r.timeLimits) } : {}),
    ...(r.reinstall !== undefined ? { reinstall: checkFlag('reinstall', r.reinstall) } : {}),
    ...(r.converter !== undefined ? { converter: checkConverter(r.converter) } : {}),
    ...(r.stage !== undefined ? { stage: checkFlag('stage', r.stage) } : {}),
    ...(r.whenIdle !== undefined ? { whenIdle: checkFlag('whenIdle', r.whenIdle) } : {}),
    ...(r.skipChecks !== undefined ? { skipChecks: checkSkipChecks(r.skipChecks) } : {}),
  };
}

function checkFlag(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new RunOptionsError(`${name} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function checkSkipChecks(value: unknown): CheckName[] {
  if (!Array.isArray(value)) throw new RunOptionsError(`skipChecks is a list of check names: ${checkNames.join(', ')}`);
  const unknown = value.filter((name) => !isCheckName(name));
  if (unknown.length > 0) throw new RunOptionsError(`no check ${unknown.map((name) => JSON.stringify(name)).join(', ')}; checks: ${checkNames.join(', ')}`);
  return [...new Set(value as CheckName[])];
}

function checkConverter(value: unknown): Converter {
  if (!isOneOf(converters, value)) throw new RunOptionsError(`converter must be ${converters.join(' or ')}, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * The options a run keeps: each one from the first level that sets it. `levels`: the run's own request
 * first, then its campaign's; `deviceTransport`: the device's inventory default.
 */
export function resolveRunOptions(
  levels: ReadonlyArray<RunOptionsRequest | undefined>,
  deviceTransport: TransferProtocol | null,
  defaults: RunDefaults,
): RunOptions {
  const given = levels.filter((level): level is RunOptionsRequest => level !== undefined).map(checkRunOptions);
  const transport = given.find((level) => level.transport !== undefined)?.transport ?? deviceTransport ?? defaults.transport;
  const timeLimits = { ...defaults.timeLimits };
  const skipChecks = given.find((level) => level.skipChecks !== undefined)?.skipChecks ?? [];
  // The most specific level wins: apply the farthest first.
  for (const level of [...given].reverse()) Object.assign(timeLimits, level.timeLimits);
  return {
    transport,
    timeLimits,
    reinstall: given.find((level) => level.reinstall !== undefined)?.reinstall ?? false,
    converter: given.find((level) => level.converter !== undefined)?.converter ?? 'manager',
    // Kept only when asked for: a run's options read as they always did otherwise.
    ...(given.find((level) => level.stage !== undefined)?.stage ? { stage: true } : {}),
    ...(given.find((level) => level.whenIdle !== undefined)?.whenIdle ? { whenIdle: true } : {}),
    ...(skipChecks.length > 0 ? { skipChecks } : {}),
  };
}
