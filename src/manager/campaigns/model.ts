// A campaign's shape as the scheduler, the store and the API share it.
import type { Actor } from '../store/records.ts';
import type { CampaignSettings } from './settings.ts';

/**
 * running: starting runs and following them. waitingWindow: outside the maintenance window, nothing
 * new starts. awaitingApproval: the next wave waits for an operator. paused: by an operator or by a
 * wave's failure threshold; runs under way carry on. aborting: nothing new starts, runs under way reach
 * their safe end. completed, aborted: final.
 */
export type CampaignState = 'running' | 'waitingWindow' | 'awaitingApproval' | 'paused' | 'aborting' | 'completed' | 'aborted';
export const campaignStates: readonly CampaignState[] = ['running', 'waitingWindow', 'awaitingApproval', 'paused', 'aborting', 'completed', 'aborted'];
export const finalCampaignStates: readonly CampaignState[] = ['completed', 'aborted'];

/**
 * A device in a campaign. pending: its turn has not come. running/waiting: its run is under way
 * (waiting: the run asks an operator). staged: its new software waits in the inactive bank for the
 * campaign to activate it (its wave's turn, inside a window). verified: upgraded. recovered: upgraded after a failure along
 * the way (counts against the threshold). failed: its run ended without the upgrade (rolled back,
 * failed, aborted). offline: did not answer; tried again later. busy: had a run from elsewhere; tried
 * again later. unreachable: still offline after every attempt. skipped: already runs the image's
 * version. notStarted: the campaign was aborted before its turn.
 */
export type CampaignDeviceState =
  | 'pending'
  | 'running'
  | 'waiting'
  | 'staged'
  | 'verified'
  | 'recovered'
  | 'failed'
  | 'offline'
  | 'busy'
  | 'unreachable'
  | 'skipped'
  | 'notStarted';
export const campaignDeviceStates: readonly CampaignDeviceState[] = [
  'pending',
  'running',
  'waiting',
  'staged',
  'verified',
  'recovered',
  'failed',
  'offline',
  'busy',
  'unreachable',
  'skipped',
  'notStarted',
];

/** A stage is a wave, or (after the last wave) a round of retries of devices that were offline or busy. */
export interface Stage {
  index: number;
  kind: 'wave' | 'retry';
  /** 1-based number of the wave, or of the retry round. */
  number: number;
  size: number;
  /** Failures in this stage that pause the campaign. */
  pauseAt: number;
}

export interface PlannedDevice {
  deviceId: number;
  name: string;
  /** Stage index of its wave; null for a device skipped from the start. */
  wave: number | null;
  /** Why it is skipped (it already runs the version), if it is. */
  skip?: string;
  /** Its model's image, when not the campaign's first (a campaign over several models). */
  imageSha256?: string;
}

/** Everything a campaign's workflow needs, fixed at creation: its input, stored with the workflow. */
export interface CampaignPlan {
  campaignId: string;
  name: string;
  imageSha256: string;
  imageVersion: string;
  settings: CampaignSettings;
  waves: Stage[];
  devices: PlannedDevice[];
  createdBy: Actor;
  /** The selection as asked, for the record. */
  selector: Record<string, unknown>;
}

/**
 * A run of the campaign ended: look at the runs now. No longer sent (a run end marks the campaign's row,
 * campaigns/run-end-wake.ts); campaigns that received it before replay it as recorded.
 */
export interface RunEndedMessage {
  kind: 'runEnded';
  runId: string;
}

export type ControlMessage =
  | { kind: 'pause' | 'resume' | 'abort'; actor: Actor }
  | { kind: 'approve'; actor: Actor /** The wave approved (1-based); any awaited wave when absent. */; wave?: number }
  | RunEndedMessage;

export const controlTopic = 'campaign-control';

export interface CampaignDevice {
  deviceId: number;
  name: string;
  /** Stage the device belongs to now (its wave, then a retry round). */
  stage: number | null;
  wave: number | null;
  state: CampaignDeviceState;
  attempts: number;
  runId: string | null;
  cause: string | null;
  message: string | null;
  /** The campaign clock (ms) when its latest run started. */
  startedAt: number | null;
}

export interface CampaignEventDraft {
  kind: string;
  actor: Actor;
  cause: string | null;
  message: string;
  detail?: Record<string, unknown>;
}

export type Counters = Record<CampaignDeviceState, number>;

export function emptyCounters(): Counters {
  return Object.fromEntries(campaignDeviceStates.map((s) => [s, 0])) as Counters;
}

export function countDevices(devices: Iterable<Pick<CampaignDevice, 'state'>>): Counters {
  const counters = emptyCounters();
  for (const d of devices) counters[d.state]++;
  return counters;
}

/** The deterministic ID of the run a campaign starts for a device: the same on every replay. */
export function campaignRunId(campaignId: string, deviceId: number, attempt: number): string {
  return `${campaignId}-d${deviceId}-a${attempt}`;
}

/** The campaign a run ID of campaignRunId's making belongs to; undefined for a run no campaign started. */
export function campaignOfRun(runId: string): string | undefined {
  return /^(.+)-d\d+-a\d+$/.exec(runId)?.[1];
}
