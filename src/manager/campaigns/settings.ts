// A campaign as an operator asks for it (API body, CLI flags or a YAML file), and the same checked:
// every problem is listed at once, and nothing is created while there is one.
import { familyNames, isFamilyName } from '../../families/family.ts';
import { PolicyError, resolvePolicy, type PolicyRequest } from '../procedure/policy.ts';
import { checkRunOptions, RunOptionsError, type RunOptionsRequest } from '../procedure/run-options.ts';
import type { RunPolicy, TimeLimits } from '../store/records.ts';
import type { TransferProtocol } from '../../protocol/transfer-contract.ts';
import { parseVersionRange, VersionRangeError } from './version-range.ts';
import { parseThreshold, parseWaves, WaveError, type Threshold, type WaveStep } from './waves.ts';
import { parseWindow, WindowError, type MaintenanceWindow } from './window.ts';

/** Which devices: every given criterion must hold (an explicit list, a model, a version range, tags). */
export interface DeviceSelector {
  /** Device ids, names or addresses. */
  devices?: string[];
  model?: string;
  /** Devices of this family only (src/families/). */
  family?: string;
  versionRange?: string;
  /** A device has every one of these tags. */
  tags?: string[];
}

export interface CampaignRequest extends DeviceSelector {
  name: string;
  /** The image's SHA-256 (or a unique prefix of it). */
  image: string;
  /** Further images for a fleet of several models: each device gets the one for its model. */
  images?: string[];
  /** "1%,10%,50%,100%" (cumulative shares) or "5,20" (wave sizes), or the same as a list. */
  waves: string | Array<string | number>;
  maxConcurrent?: number;
  /** Runs started per minute, at most. */
  ratePerMinute?: number;
  /** Failures in a wave that pause the campaign: a count (2) or a share of the wave ("5%"). */
  threshold?: string | number;
  /** Wait for an operator's approval before each wave after the first. */
  approval?: boolean;
  /** "02:00-05:00": no run starts outside these hours; needs timeZone. */
  window?: string;
  timeZone?: string;
  policy?: PolicyRequest;
  /** How many times a device that does not answer is tried in all (default 3). */
  offlineAttempts?: number;
  /** Pause between the last wave and a round of retries of offline devices (default 60 s). */
  retryDelaySeconds?: number;
  /** How its runs move files (tftp, ftp): above each device's default. */
  transport?: TransferProtocol;
  /** Its runs' time limits in seconds ({ backup: 120, download: 900 }); limits not named keep the manager's. */
  timeLimits?: Partial<TimeLimits>;
  /** Install the image on devices that already run it too (overwriting their other bank). */
  reinstall?: boolean;
  /** Who converts configurations the new software reads in another format: the manager, or the devices (where their family can). */
  converter?: string;
  /** Who creates it, for the record. */
  operator?: string;
}

export interface CampaignSettings {
  waves: WaveStep[];
  maxConcurrent: number;
  ratePerMinute: number | null;
  threshold: Threshold;
  approval: boolean;
  window: MaintenanceWindow | null;
  policy: RunPolicy;
  offlineAttempts: number;
  retryDelaySeconds: number;
  /** Transport, time limits and reinstall for every run; absent in campaigns created before they existed. */
  runOptions?: RunOptionsRequest;
}

export class CampaignRequestError extends Error {
  override name = 'CampaignRequestError';
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0]! : `the campaign has ${problems.length} problems: ${problems.join('; ')}`);
  }
}

export const campaignDefaults = { maxConcurrent: 10, threshold: '5%', offlineAttempts: 3, retryDelaySeconds: 60 } as const;
export const campaignLimits = { maxConcurrent: 1000, ratePerMinute: 100_000, offlineAttempts: 10, retryDelaySeconds: 86_400, nameLength: 100 } as const;

const requestFields = new Set([
  'name',
  'image',
  'images',
  'devices',
  'model',
  'family',
  'versionRange',
  'tags',
  'waves',
  'maxConcurrent',
  'ratePerMinute',
  'threshold',
  'approval',
  'window',
  'timeZone',
  'policy',
  'offlineAttempts',
  'retryDelaySeconds',
  'transport',
  'timeLimits',
  'reinstall',
  'converter',
  'stage',
  'whenIdle',
  'skipChecks',
  'operator',
]);

function wholeNumber(value: unknown, what: string, min: number, max: number, problems: string[]): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    problems.push(`${what} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
    return undefined;
  }
  return value;
}

function collect<T>(problems: string[], work: () => T, ...errors: Array<new (...args: never[]) => Error>): T | undefined {
  try {
    return work();
  } catch (error) {
    if (errors.some((kind) => error instanceof kind)) {
      problems.push((error as Error).message);
      return undefined;
    }
    throw error;
  }
}

function stringList(value: unknown, what: string, problems: string[]): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string' || v.trim() === '')) {
    problems.push(`${what} must be a non-empty list of names`);
    return undefined;
  }
  return value.map((v: string) => v.trim());
}

/** Checks the request; throws CampaignRequestError with every problem found. */
export function checkCampaignRequest(request: unknown): { request: CampaignRequest; settings: CampaignSettings } {
  const problems: string[] = [];
  if (typeof request !== 'object' || request === null || Array.isArray(request))
    throw new CampaignRequestError(['a campaign is an object of fields (name, image, waves, ...)']);
  const r = request as Record<string, unknown>;
  const unknown = Object.keys(r).filter((key) => !requestFields.has(key));
  if (unknown.length > 0) problems.push(`unknown field ${unknown.join(', ')}; fields are ${[...requestFields].join(', ')}`);

  if (typeof r.name !== 'string' || r.name.trim() === '' || r.name.length > campaignLimits.nameLength)
    problems.push(`name must be a text of 1 to ${campaignLimits.nameLength} characters`);
  if (typeof r.image !== 'string' || r.image.trim() === '') problems.push('image must name an image the manager holds (its SHA-256)');
  stringList(r.devices, 'devices', problems);
  stringList(r.images, 'images', problems);
  if (r.family !== undefined && !isFamilyName(r.family)) problems.push(`family must be one of ${familyNames.join(', ')}`);
  stringList(r.tags, 'tags', problems);
  if (r.model !== undefined && (typeof r.model !== 'string' || r.model.trim() === '')) problems.push('model must be a model name');
  if (r.versionRange !== undefined) {
    if (typeof r.versionRange !== 'string') problems.push('versionRange must be a text such as ">=1.0.0 <2.0.0"');
    else collect(problems, () => parseVersionRange(r.versionRange as string), VersionRangeError);
  }
  if (r.devices === undefined && r.model === undefined && r.family === undefined && r.versionRange === undefined && r.tags === undefined) {
    problems.push('select devices: a list of devices, a model, a family, a version range or tags (or several)');
  }

  let waves: WaveStep[] | undefined;
  if (typeof r.waves === 'string' || (Array.isArray(r.waves) && r.waves.every((w) => typeof w === 'string' || typeof w === 'number'))) {
    waves = collect(problems, () => parseWaves(r.waves as string | Array<string | number>), WaveError);
  } else problems.push('waves must be given, e.g. "1%,10%,50%,100%" or "5,20"');
  const maxConcurrent = wholeNumber(r.maxConcurrent, 'maxConcurrent', 1, campaignLimits.maxConcurrent, problems) ?? campaignDefaults.maxConcurrent;
  const ratePerMinute = wholeNumber(r.ratePerMinute, 'ratePerMinute', 1, campaignLimits.ratePerMinute, problems) ?? null;
  let threshold: Threshold | undefined;
  if (r.threshold !== undefined && typeof r.threshold !== 'string' && typeof r.threshold !== 'number')
    problems.push('threshold must be a count (2) or a percentage ("5%")');
  else threshold = collect(problems, () => parseThreshold((r.threshold as string | number | undefined) ?? campaignDefaults.threshold), WaveError);
  if (r.approval !== undefined && typeof r.approval !== 'boolean') problems.push('approval must be true or false');

  let window: MaintenanceWindow | null = null;
  if (r.window !== undefined || r.timeZone !== undefined) {
    if (typeof r.window !== 'string') problems.push('a time zone goes with a window: give window too, e.g. "02:00-05:00"');
    else if (typeof r.timeZone !== 'string') problems.push('a window needs its time zone (timeZone, an IANA name such as Europe/Paris)');
    else window = collect(problems, () => parseWindow(r.window as string, r.timeZone as string), WindowError) ?? null;
  }
  const policy = collect(problems, () => resolvePolicy((r.policy as PolicyRequest | undefined) ?? {}), PolicyError);
  const offlineAttempts = wholeNumber(r.offlineAttempts, 'offlineAttempts', 1, campaignLimits.offlineAttempts, problems) ?? campaignDefaults.offlineAttempts;
  let retryDelaySeconds: number = campaignDefaults.retryDelaySeconds;
  if (r.retryDelaySeconds !== undefined) {
    const value = r.retryDelaySeconds;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > campaignLimits.retryDelaySeconds) {
      problems.push(`retryDelaySeconds must be from 0 to ${campaignLimits.retryDelaySeconds}, got ${JSON.stringify(value)}`);
    } else retryDelaySeconds = value;
  }
  const runOptions = collect(
    problems,
    () =>
      checkRunOptions({
        transport: r.transport,
        timeLimits: r.timeLimits,
        reinstall: r.reinstall,
        converter: r.converter,
        stage: r.stage,
        whenIdle: r.whenIdle,
        skipChecks: r.skipChecks,
      }),
    RunOptionsError,
  );
  if (r.operator !== undefined && (typeof r.operator !== 'string' || !/^[^\s:][^\s]{0,63}$/.test(r.operator)))
    problems.push('operator must be a name without spaces');

  if (problems.length > 0 || !waves || !threshold || !policy) throw new CampaignRequestError(problems);
  return {
    request: r as unknown as CampaignRequest,
    settings: {
      waves,
      maxConcurrent,
      ratePerMinute,
      threshold,
      approval: r.approval === true,
      window,
      policy,
      offlineAttempts,
      retryDelaySeconds,
      runOptions: runOptions ?? {},
    },
  };
}
