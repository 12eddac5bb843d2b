// The people of a chaos campaign: operators who start the work (campaigns over part of the fleet, single
// runs in batches at random moments) and then answer late: decisions on waiting runs (retry, abort, keep
// the new software, retry with a corrected image), approvals between waves, a resume after a pause.
// They speak only through a manager's API, whichever is up, and shrug off a manager that is down.
import type { ManagerApi } from '../fleet/api.ts';
import type { Seeded } from './seeded.ts';

/** Per model: the image every run installs, and the corrected one an operator names on a retry. */
export interface ModelImages {
  upgrade: string;
  corrected: string;
}

export interface WorkDevice {
  id: number;
  model: string;
}

type Policy = Record<string, { retries: number; backoffSeconds: number; then: 'ask' | 'abort' }>;

const phases = ['preflight', 'backup', 'upgrade', 'migrate', 'restore'] as const;

/** Run time limits short enough that silence is found out within the campaign, long enough for slow transfers. */
export const chaosTimeLimits = { backup: 30, download: 60, boot: 30, restore: 30, verify: 30 };

function drawPolicy(random: Seeded): Policy {
  return Object.fromEntries(
    phases.map((phase) => [phase, { retries: random.between(0, 2), backoffSeconds: random.pick([0.5, 1, 2]), then: random.chance(0.35) ? 'ask' : 'abort' }]),
  );
}

export interface OperatorCounts {
  decisions: Record<string, number>;
  refusedDecisions: number;
  approvals: number;
  resumes: number;
  apiErrors: number;
}

export class ChaosOperators {
  readonly counts: OperatorCounts = { decisions: {}, refusedDecisions: 0, approvals: 0, resumes: 0, apiErrors: 0 };
  readonly campaignIds: string[] = [];
  /** Single runs refused at their start (a device already in a campaign's run, say): none expected. */
  readonly refusedStarts: string[] = [];
  private readonly due = new Map<string, number>();
  private pendingBatches = 0;

  constructor(
    private readonly api: () => ManagerApi,
    private readonly images: ReadonlyMap<string, ModelImages>,
    private readonly random: Seeded,
    private readonly note: (text: string) => void,
  ) {}

  /** Whether every planned start has been made. */
  get allStarted(): boolean {
    return this.pendingBatches === 0;
  }

  /**
   * Splits the devices: `campaignShare` of them into two campaigns (one asks approval between its waves,
   * one pauses at its first failure), the rest started as single runs in batches over `spreadSeconds`.
   */
  async startWork(devices: readonly WorkDevice[], campaignShare: number, spreadSeconds: number): Promise<void> {
    const shuffled = [...devices];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = this.random.between(0, i);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    const inCampaigns = Math.round(shuffled.length * campaignShare);
    const half = Math.ceil(inCampaigns / 2);
    const groups = [shuffled.slice(0, half), shuffled.slice(half, inCampaigns)].filter((group) => group.length > 0);
    for (const [i, group] of groups.entries()) await this.startCampaign(group, i === 0 ? 'approval' : 'pause');

    const singles = shuffled.slice(inCampaigns);
    const batches: WorkDevice[][] = [];
    for (let at = 0; at < singles.length; ) {
      const size = this.random.between(5, 40);
      batches.push(singles.slice(at, at + size));
      at += size;
    }
    this.pendingBatches = batches.length;
    for (const batch of batches) {
      const delayMs = this.random.between(0, spreadSeconds * 1000);
      const policy = drawPolicy(this.random);
      setTimeout(() => void this.startBatch(batch, policy), delayMs);
    }
  }

  private async startCampaign(devices: readonly WorkDevice[], kind: 'approval' | 'pause'): Promise<void> {
    const models = [...new Set(devices.map((d) => d.model))];
    const [first, ...others] = models.map((model) => this.images.get(model)!.upgrade);
    const campaign = await this.api().call<{ id: string }>('POST', '/api/campaigns', {
      json: {
        name: `chaos ${kind}`,
        image: first,
        ...(others.length > 0 && { images: others }),
        devices: devices.map((d) => String(d.id)),
        waves: '5%,30%,100%',
        maxConcurrent: 100,
        threshold: kind === 'pause' ? 1 : '50%',
        approval: kind === 'approval',
        offlineAttempts: 3,
        retryDelaySeconds: 5,
        policy: drawPolicy(this.random),
        operator: 'chaos',
      },
    });
    this.campaignIds.push(campaign.id);
    this.note(`campaign ${campaign.id} (${kind}) over ${devices.length} devices`);
  }

  /** Runs of one batch, one request per model (a batch takes one image). */
  private async startBatch(batch: readonly WorkDevice[], policy: Policy): Promise<void> {
    const byModel = new Map<string, WorkDevice[]>();
    for (const device of batch) byModel.set(device.model, [...(byModel.get(device.model) ?? []), device]);
    for (const [model, devices] of byModel) {
      for (let tried = 1; ; tried++) {
        try {
          const started = await this.api().call<{ refused: Array<{ device: string; error: string }> }>('POST', '/api/runs/batch', {
            json: {
              devices: devices.map((d) => String(d.id)),
              image: this.images.get(model)!.upgrade,
              policy,
              timeLimits: chaosTimeLimits,
              operator: 'chaos',
            },
          });
          for (const refusal of started.refused) this.refusedStarts.push(`device ${refusal.device}: ${refusal.error}`);
          break;
        } catch (error) {
          // A manager or the database down at that moment: the operator tries again a little later.
          this.counts.apiErrors++;
          if (tried === 30) {
            this.refusedStarts.push(`${devices.length} devices: ${(error as Error).message}`);
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 2000));
        }
      }
    }
    this.pendingBatches--;
  }

  /** One look around: answers what is due, schedules answers to what newly waits. */
  async tick(): Promise<void> {
    try {
      const api = this.api();
      const waiting = await api.call<Array<{ id: string; phase: string; deviceId: number; imageSha256: string | null }>>('GET', '/api/runs?state=waiting');
      const now = Date.now();
      for (const run of waiting) {
        const due = this.due.get(run.id);
        if (due === undefined) {
          // Late: an operator answers between one and twenty seconds after the run asked.
          this.due.set(run.id, now + this.random.between(1000, 20_000));
        } else if (due <= now) {
          this.due.set(run.id, now + 30_000); // asked again later if this answer does not take
          await this.decide(api, run);
        }
      }
      const campaigns = await api.call<Array<{ id: string; state: string }>>('GET', '/api/campaigns');
      for (const campaign of campaigns) {
        if (campaign.state !== 'awaitingApproval' && campaign.state !== 'paused') continue;
        const key = `campaign:${campaign.id}:${campaign.state}`;
        const due = this.due.get(key);
        if (due === undefined) this.due.set(key, now + this.random.between(1000, 15_000));
        else if (due <= now) {
          this.due.delete(key);
          const action = campaign.state === 'paused' ? 'resume' : 'approve';
          await api.call('POST', `/api/campaigns/${campaign.id}/${action}`, { json: { operator: 'chaos' } });
          if (action === 'resume') this.counts.resumes++;
          else this.counts.approvals++;
        }
      }
    } catch {
      this.counts.apiErrors++;
    }
  }

  private async decide(api: ManagerApi, run: { id: string; phase: string; deviceId: number }): Promise<void> {
    const answer = this.random.weighted(
      run.phase === 'upgrade' ? { correctedImage: 4, retry: 3, abort: 2, keepNewSoftware: 1 } : { retry: 6, abort: 3, keepNewSoftware: 1, correctedImage: 0 },
    );
    const body: Record<string, unknown> = { answer: answer === 'correctedImage' ? 'retry' : answer, operator: 'chaos' };
    if (answer === 'correctedImage') {
      const detail = await api.call<{ device: { model: string } }>('GET', `/api/runs/${run.id}`);
      body.image = this.images.get(detail.device.model)!.corrected;
    }
    try {
      await api.call('POST', `/api/runs/${run.id}/decision`, { json: body });
      this.counts.decisions[answer] = (this.counts.decisions[answer] ?? 0) + 1;
    } catch (error) {
      // An answer this run does not take (keeping software it has not installed, say): the operator aborts.
      this.counts.refusedDecisions++;
      if (answer === 'abort') throw error;
      await api.call('POST', `/api/runs/${run.id}/decision`, { json: { answer: 'abort', operator: 'chaos' } });
      this.counts.decisions.abort = (this.counts.decisions.abort ?? 0) + 1;
    }
  }
}
