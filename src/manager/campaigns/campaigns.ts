// The Campaigns service: what the API and the CLI ask of campaigns. Creating one checks the request,
// resolves its devices and waves once, and starts its durable workflow under the campaign's ID; pause,
// resume, abort and approve are durable messages to that workflow, checked first against what the
// campaign is doing so that an operator hears at once when the request makes no sense.
import { setTimeout as sleep } from 'node:timers/promises';
import { DBOS } from '@dbos-inc/dbos-sdk';
import type { LiveEvents } from '../live-events.ts';
import { alreadyInstalled } from '../procedure/decisions.ts';
import type { Procedure } from '../procedure/procedure.ts';
import type { CampaignRecord } from '../store/campaigns.ts';
import type { Store } from '../store/store.ts';
import type { Actor, DeviceRecord, ImageRecord } from '../store/records.ts';
import {
  countDevices,
  controlTopic,
  finalCampaignStates,
  type CampaignPlan,
  type CampaignState,
  type ControlMessage,
  type PlannedDevice,
  type Stage,
} from './model.ts';
import type { SchedulerTiming } from './scheduler.ts';
import type { CampaignSignals } from './campaign-signals.ts';
import { type CampaignDetail, type CampaignPage, CampaignReads } from './campaign-reads.ts';
import { selectDevices } from './selection.ts';
import { checkCampaignRequest, CampaignRequestError, type CampaignRequest } from './settings.ts';
import { registerCampaignSteps } from './steps.ts';
import { failuresThatPause, waveSizes } from './waves.ts';
import { registerCampaignWorkflow } from './workflow.ts';

export interface CampaignsOptions extends Partial<SchedulerTiming> {
  /** The campaign clock (ms since the epoch) windows and rate limits are judged by; Date.now by default. */
  clock?: () => number;
}

export interface CampaignsDeps {
  store: Pick<Store, 'campaigns' | 'campaignSteps' | 'devices' | 'images' | 'runs'>;
  /** Where operators' reads of campaigns go (the operators' own connections); the store's campaigns when absent. */
  reads?: Store['campaigns'];
  /** Where campaigns' turns read and write (the campaigns' own connection, store/database.ts); the store when absent. */
  loop?: Pick<Store, 'campaigns' | 'campaignSteps' | 'devices' | 'images' | 'runs'>;
  procedure: Procedure;
  /** Where campaigns' waits hear their wakes; the manager hands it what it hears on campaignChannel. */
  signals: CampaignSignals;
  live?: Pick<LiveEvents, 'emit'>;
  options?: CampaignsOptions;
}

/** The request does not fit what the campaign is doing (resume a running one, approve when nothing waits). */
export class CampaignStateError extends Error {
  override name = 'CampaignStateError';
}

/** The request is well formed but names what the manager does not have or cannot do (image, devices). */
export class CampaignSelectionError extends CampaignRequestError {
  override name = 'CampaignSelectionError';
  constructor(
    problems: string[],
    readonly unknownImage = false,
  ) {
    super(problems);
  }
}

export const defaultCampaignTiming: SchedulerTiming = { tickSeconds: 1, idleSeconds: 3600, windowRecheckSeconds: 60 };

/** How long a control request waits to see the campaign take it into account before answering. */
const acknowledgeMs = 5000;

export class Campaigns {
  readonly store: Store['campaigns'];
  private readonly reads: CampaignReads;
  private readonly devices: Store['devices'];
  private readonly images: Store['images'];

  private constructor(
    store: CampaignsDeps['store'],
    reads: Store['campaigns'] | undefined,
    private readonly workflow: (plan: CampaignPlan) => Promise<CampaignState>,
  ) {
    this.store = store.campaigns;
    this.reads = new CampaignReads(reads ?? store.campaigns);
    this.devices = store.devices;
    this.images = store.images;
  }

  /** Registers the workflow and its steps: before DBOS.launch, once per process. */
  static register(deps: CampaignsDeps): Campaigns {
    const timing: SchedulerTiming = { ...defaultCampaignTiming, ...stripUndefined(deps.options ?? {}) };
    const loop = deps.loop ?? deps.store;
    const { devices, images } = loop;
    const steps = registerCampaignSteps({
      runs: loop.runs,
      store: loop.campaigns,
      records: loop.campaignSteps,
      runCreation: { runs: loop.runs, devices, images, defaults: deps.procedure.defaults },
      procedure: deps.procedure,
      clock: deps.options?.clock ?? Date.now,
      signals: deps.signals,
      ...(deps.live ? { live: deps.live } : {}),
    });
    return new Campaigns(deps.store, deps.reads, registerCampaignWorkflow(steps, timing, deps.procedure));
  }

  async create(given: unknown, actor: Actor): Promise<CampaignRecord> {
    const { request, settings } = checkCampaignRequest(given);
    const images = [await this.findImage(request.image)];
    for (const reference of request.images ?? []) images.push(await this.findImage(reference));
    const problems: string[] = [];
    const models = images.map((i) => i.model);
    const twice = models.filter((model, i) => models.indexOf(model) !== i);
    if (twice.length > 0) problems.push(`one image per model: ${[...new Set(twice)].join(', ')} has several`);
    let listed: DeviceRecord[] | undefined;
    if (request.devices) {
      listed = [];
      for (const reference of request.devices) {
        const device = await this.devices.find(reference);
        if (device) listed.push(device);
        else problems.push(`no device ${JSON.stringify(reference)} in the inventory`);
      }
    }
    const selection = selectDevices(await this.devices.list(), request, images, listed);
    problems.push(...selection.problems);
    if (problems.length > 0) throw new CampaignSelectionError(problems);

    const campaignId = await this.store.nextId();
    const plan = planCampaign(campaignId, request, settings, images, selection.devices, request.operator ? `operator:${request.operator}` : actor);
    await DBOS.startWorkflow(this.workflow, { workflowID: campaignId })(plan);
    // The workflow writes the same rows as its first step; whichever comes second writes nothing.
    await this.store.create(plan, countDevices(plan.devices.map((d) => ({ state: d.skip ? 'skipped' : 'pending' }))));
    return (await this.store.get(campaignId))!;
  }

  list(limit?: number): Promise<CampaignRecord[]> {
    return this.reads.list(limit);
  }

  get(id: string): Promise<CampaignRecord> {
    return this.reads.get(id);
  }

  /** The campaign with its devices and events: all of them, or one page. */
  detail(id: string, page?: CampaignPage): Promise<CampaignDetail> {
    return this.reads.detail(id, page);
  }

  pause(id: string, actor: Actor): Promise<CampaignRecord> {
    return this.control(
      id,
      { kind: 'pause', actor },
      (c) => (['running', 'waitingWindow', 'awaitingApproval'].includes(c.state) ? undefined : `it is ${c.state}`),
      (c) => c.state === 'paused',
    );
  }

  resume(id: string, actor: Actor): Promise<CampaignRecord> {
    return this.control(
      id,
      { kind: 'resume', actor },
      (c) => (c.state === 'paused' ? undefined : `it is ${c.state}, not paused`),
      (c) => c.state !== 'paused',
    );
  }

  abort(id: string, actor: Actor): Promise<CampaignRecord> {
    return this.control(
      id,
      { kind: 'abort', actor },
      (c) => (finalCampaignStates.includes(c.state) || c.state === 'aborting' ? `it is ${c.state}` : undefined),
      (c) => c.state === 'aborting' || c.state === 'aborted',
    );
  }

  /** Tells a campaign one of its runs ended, so that it looks at its runs now (run-end-wake.ts), unless a wake is on its way already. */
  async wake(id: string): Promise<void> {
    await this.store.markWakePending(id);
  }

  /** `wave`: the wave (1-based) the operator approves, so that a late click cannot approve the next one. */
  approve(id: string, actor: Actor, wave?: number): Promise<CampaignRecord> {
    return this.control(
      id,
      { kind: 'approve', actor, ...(wave !== undefined ? { wave } : {}) },
      (c) => {
        if (c.state !== 'awaitingApproval') return `it is ${c.state}; no wave awaits approval`;
        if (wave !== undefined && c.stage?.number !== wave) return `wave ${c.stage?.number} awaits approval, not wave ${wave}`;
        return undefined;
      },
      (c) => c.state !== 'awaitingApproval',
    );
  }

  private async control(
    id: string,
    message: ControlMessage,
    refusal: (c: CampaignRecord) => string | undefined,
    taken: (c: CampaignRecord) => boolean,
  ): Promise<CampaignRecord> {
    const campaign = await this.get(id);
    const why = refusal(campaign);
    if (why !== undefined) throw new CampaignStateError(`campaign ${id} cannot ${message.kind}: ${why}`);
    // Sent, then marked: a look that sees the mark finds the message. Campaigns recorded before the
    // mark take their messages at each turn (workflow.ts).
    await DBOS.send(id, message, controlTopic);
    await this.store.markControlsPending(id);
    // The workflow takes the message at its next turn; answer with what it made of it, if it is quick.
    let now = campaign;
    for (let waited = 0; waited < acknowledgeMs && !taken(now); waited += 100) {
      await sleep(100);
      now = await this.get(id);
    }
    return now;
  }

  private async findImage(reference: string): Promise<ImageRecord> {
    const exact = reference.length === 64 ? await this.images.get(reference) : undefined;
    if (exact) return exact;
    const matches = reference.length >= 6 && reference.length < 64 ? (await this.images.list()).filter((i) => i.sha256.startsWith(reference)) : [];
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) throw new CampaignSelectionError([`${matches.length} images start with ${reference}; give more digits`]);
    throw new CampaignSelectionError([`no image ${JSON.stringify(reference)} in the image store`], true);
  }
}

/**
 * The devices in waves, in selection order; devices already on the version are skipped, and reported.
 * `images`: the campaign's image first, then one per further model; each device gets its model's.
 */
export function planCampaign(
  campaignId: string,
  request: CampaignRequest,
  settings: CampaignPlan['settings'],
  images: readonly ImageRecord[],
  selected: DeviceRecord[],
  createdBy: Actor,
): CampaignPlan {
  const image = images[0]!;
  const imageOf = (d: DeviceRecord) => images.find((i) => i.model === d.model) ?? image;
  const toRun = settings.runOptions?.reinstall ? selected : selected.filter((d) => !alreadyInstalled(imageOf(d), d));
  const sizes = waveSizes(settings.waves, toRun.length);
  const waves: Stage[] = sizes.map((size, index) => ({ index, kind: 'wave', number: index + 1, size, pauseAt: failuresThatPause(settings.threshold, size) }));
  const waveOf = new Map<number, number>();
  let position = 0;
  for (const wave of waves) for (let i = 0; i < wave.size; i++) waveOf.set(toRun[position++]!.id, wave.index);
  const devices: PlannedDevice[] = selected.map((d) => {
    const own = imageOf(d);
    const planned = { deviceId: d.id, name: d.name, ...(own.sha256 !== image.sha256 ? { imageSha256: own.sha256 } : {}) };
    return waveOf.has(d.id) ? { ...planned, wave: waveOf.get(d.id)! } : { ...planned, wave: null, skip: `already runs ${own.version}` };
  });
  const selector = Object.fromEntries(
    Object.entries({
      devices: request.devices,
      model: request.model,
      family: request.family,
      versionRange: request.versionRange,
      tags: request.tags,
      images: request.images,
    }).filter(([, v]) => v !== undefined),
  );
  return { campaignId, name: request.name.trim(), imageSha256: image.sha256, imageVersion: image.version, settings, waves, devices, createdBy, selector };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && typeof v === 'number')) as Partial<T>;
}
