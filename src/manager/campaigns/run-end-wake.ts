// A campaign looks at its runs once a second; a run of its that ends also wakes it, so that the slot
// the run held is given to the next device at once rather than at the next look. The wake is a mark on
// the campaign's row and a NOTIFY to the manager that runs it (campaign-signals.ts), sent from outside
// any workflow (it changes nothing by itself: the campaign's next look at its runs reads what
// happened). A lost wake costs only the wait for that look.
//
// Run ends come in bursts (a wave's runs end together): while a wake to a campaign is being sent, the
// ends that follow are folded into one more; and a wake sent since the campaign's last look, still to
// be taken, stands for those that follow (Campaigns.wake), so a campaign gets one wake per turn of its
// loop, on whichever managers its runs end.
import type { Logger } from 'pino';
import type { LiveEvents, RunChanged } from '../live-events.ts';
import { campaignOfRun } from './model.ts';

export type SendWake = (campaignId: string) => Promise<void>;

/** Wakes each campaign whose run ended on this manager; returns the function that stops it. */
export function wakeCampaignsOnRunEnd(live: Pick<LiveEvents, 'on'>, send: SendWake, log: Pick<Logger, 'warn'>): () => void {
  /** Campaigns with a wake being sent, and whether another run of theirs ended meanwhile. */
  const sending = new Map<string, { again: boolean }>();

  const wake = (campaignId: string, runId: string): void => {
    const under = sending.get(campaignId);
    if (under) {
      under.again = true;
      return;
    }
    const state = { again: false };
    sending.set(campaignId, state);
    send(campaignId)
      .catch((error: Error) => log.warn({ err: error, campaignId, runId }, 'campaign not woken by its run end; it looks again within its tick'))
      .finally(() => {
        sending.delete(campaignId);
        if (state.again) wake(campaignId, runId);
      });
  };

  return live.on('runChanged', (change: RunChanged) => {
    if (change.lastEvent?.kind !== 'runEnded') return;
    const campaignId = campaignOfRun(change.runId);
    if (campaignId !== undefined) wake(campaignId, change.runId);
  });
}
