// What operators read of campaigns: the list, one campaign, and its page (every stage's counters, a
// slice of its devices, its latest events). Only the campaigns' store is needed, so these reads can be
// served from connections of their own (the API's front thread, interfaces/http/front/) while the
// campaigns themselves run elsewhere.
import type { CampaignDeviceRecord, CampaignEvent, CampaignRecord, CampaignStore } from '../store/campaigns.ts';
import { emptyCounters, type Counters } from './model.ts';

export interface CampaignDetail {
  campaign: CampaignRecord;
  /** Every stage's device counters, whatever page of devices is shown. */
  stageCounters: Map<number, Counters>;
  devices: CampaignDeviceRecord[];
  events: CampaignEvent[];
}

/** Which part of a large campaign a page shows: a slice of its devices, its latest events. */
export interface CampaignPage {
  offset: number;
  limit: number;
  events: number;
}

/** No such campaign. */
export class CampaignNotFoundError extends Error {
  override name = 'CampaignNotFoundError';
}

export class CampaignReads {
  constructor(private readonly store: Pick<CampaignStore, 'list' | 'get' | 'page'>) {}

  /** Newest first. */
  list(limit?: number): Promise<CampaignRecord[]> {
    return this.store.list(limit);
  }

  async get(id: string): Promise<CampaignRecord> {
    const campaign = await this.store.get(id);
    if (!campaign) throw new CampaignNotFoundError(`no campaign ${JSON.stringify(id)}`);
    return campaign;
  }

  /** The campaign with its devices and events: all of them, or one page. */
  async detail(id: string, page?: CampaignPage): Promise<CampaignDetail> {
    const found = await this.store.page(id, page);
    if (!found) throw new CampaignNotFoundError(`no campaign ${JSON.stringify(id)}`);
    const { campaign, stageCounts, devices, events } = found;
    const stageCounters = new Map<number, Counters>();
    for (const { stage, state, devices } of stageCounts) {
      if (stage === null) continue;
      const counters = stageCounters.get(stage) ?? emptyCounters();
      counters[state] += devices;
      stageCounters.set(stage, counters);
    }
    return { campaign, stageCounters, devices, events };
  }
}
