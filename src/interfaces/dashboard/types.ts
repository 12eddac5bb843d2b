// What the dashboard reads from the API, as JSON (times as ISO strings): the manager's own records.
import type { DecisionJson, DeviceJson, Json, RunDetailJson, RunEventJson, RunJson } from '../cli/api-types.ts';
import type { CampaignChanged, RunChanged } from '../../manager/live-events.ts';
import type { Counters, Stage } from '../../manager/campaigns/model.ts';
import type { CampaignDeviceRecord, CampaignEvent, CampaignRecord } from '../../manager/store/campaigns.ts';

export type { CampaignChanged, Counters, DecisionJson, DeviceJson, RunChanged, RunDetailJson, RunEventJson, RunJson, Stage };

export type CampaignJson = Json<CampaignRecord>;
export type CampaignDeviceJson = Json<CampaignDeviceRecord>;
export type CampaignEventJson = Json<CampaignEvent>;
export type WaveJson = Stage & { counters: Partial<Counters> };

export interface CampaignDetailJson {
  campaign: CampaignJson;
  waves: WaveJson[];
  devices: CampaignDeviceJson[];
  events: CampaignEventJson[];
}

export const finalCampaignStates: readonly string[] = ['completed', 'aborted'];

/** "Wave 2" or "Retry 1" (a round for devices that were offline or busy). */
export function stageName(stage: Pick<Stage, 'kind' | 'number'>): string {
  return `${stage.kind === 'retry' ? 'Retry' : 'Wave'} ${stage.number}`;
}

export function totalOf(counters: Partial<Counters>): number {
  return Object.values(counters).reduce((sum: number, n) => sum + (n ?? 0), 0);
}

/** Devices whose turn has come and gone: upgraded, failed, skipped, given up on. */
export function doneOf(counters: Partial<Counters>): number {
  return (['verified', 'recovered', 'failed', 'skipped', 'unreachable', 'notStarted'] as const).reduce((sum, state) => sum + (counters[state] ?? 0), 0);
}
