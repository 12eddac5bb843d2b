// The campaign workflow's durable steps: everything it reads from or does to the world outside the
// workflow goes through one, so that a replay after a crash sees the same answers and does nothing
// twice (run IDs are fixed per campaign, device and attempt; writes carry the step's key). The work is
// written once; a campaign records it in its own journal (campaign-journal.ts), and campaigns recorded
// before the journal replay it as the DBOS steps they recorded.
import { AsyncResource } from 'node:async_hooks';
import { DBOS } from '@dbos-inc/dbos-sdk';
import type { RunStore } from '../store/runs.ts';
import type { LiveEvents } from '../live-events.ts';
import { NotWaitingError, RunRequestError } from '../procedure/errors.ts';
import type { Procedure } from '../procedure/procedure.ts';
import type { RunOptionsRequest } from '../procedure/run-options.ts';
import { createRun, type RunCreation } from '../procedure/start-run.ts';
import type { CampaignProgress, CampaignStore } from '../store/campaigns.ts';
import type { CampaignStepRecords } from '../store/campaign-steps.ts';
import type { Actor, RunPolicy } from '../store/records.ts';
import { campaignRunId, type CampaignDevice, type CampaignEventDraft, type CampaignPlan, type Counters } from './model.ts';
import { CampaignJournal } from './campaign-journal.ts';
import type { CampaignSignals } from './campaign-signals.ts';
import { readRuns } from './run-watch.ts';
import type { RunObservation, StartRefusal, WatchedRun } from './scheduler.ts';

export interface CampaignStepDeps {
  runs: Pick<RunStore, 'standings' | 'timelineLines'>;
  store: CampaignStore;
  /** Where campaigns' journals are recorded. */
  records: Pick<CampaignStepRecords, 'of' | 'write'>;
  runCreation: RunCreation;
  procedure: Pick<Procedure, 'decide'>;
  /** The campaign clock (ms since the epoch): Date.now unless a test moves time. */
  clock: () => number;
  /** Where the campaign's waits between looks hear their wakes. */
  signals: Pick<CampaignSignals, 'wait'>;
  live?: Pick<LiveEvents, 'emit'>;
}

export type RunStart = { ok: true; runId: string } | { ok: false; refusal: StartRefusal };

/** A run the campaign asks for: a device's attempt, with the image for its model. */
export interface Attempt {
  deviceId: number;
  attempt: number;
  imageSha256: string;
}

/** What a tick's look found: where the runs stand, the campaign clock after that, and whether operators' requests wait. */
export interface Look {
  observations: RunObservation[];
  now: number;
  /** Absent in looks recorded before operators' requests were marked (workflow.ts). */
  controlsPending?: boolean;
}

/** The run row of this attempt: found if a replay already made it, made otherwise, or why not. */
async function createAttempt(
  runCreation: RunCreation,
  campaignId: string,
  { deviceId, attempt, imageSha256 }: Attempt,
  policy: RunPolicy,
  options?: RunOptionsRequest,
): Promise<RunStart> {
  const runId = campaignRunId(campaignId, deviceId, attempt);
  if (await runCreation.runs.get(runId)) return { ok: true, runId };
  try {
    await createRun(runCreation, 'upgrade', {
      deviceId,
      imageSha256,
      policy,
      startedBy: 'policy',
      runId,
      ...(options ? { campaignOptions: options } : {}),
    });
    return { ok: true, runId };
  } catch (error) {
    if (!(error instanceof RunRequestError)) throw error;
    if (error.problem === 'activeRun') return { ok: false, refusal: { reason: 'busy', message: error.message } };
    return { ok: false, refusal: { reason: 'refused', cause: error.problem, message: error.message } };
  }
}

/** The steps a campaign's turns call, however they are recorded. */
export interface CampaignStepCalls {
  create(plan: CampaignPlan, counters: Counters): Promise<void>;
  save(campaignId: string, progress: CampaignProgress, wave: number | null, devices: CampaignDevice[], events: CampaignEventDraft[]): Promise<void>;
  /**
   * A tick's look in one step: waits for a wake until `waitUntil` (by the campaign clock; not at the
   * first look), then reads where the runs stand and the campaign clock. A replayed look answers what
   * it answered, without waiting again.
   */
  look(campaignId: string, runs: WatchedRun[], waitUntil?: number): Promise<Look>;
  /** The campaign takes the operators' requests among its messages now (workflow.ts). */
  controlsTaken(campaignId: string): Promise<void>;
  /**
   * The run rows of a tick's attempts, made together (one statement for the lot, store/runs.ts). Tried
   * again on a database error: the attempts made before it are found by their run IDs.
   */
  createRuns(campaignId: string, attempts: Attempt[], policy: RunPolicy, options?: RunOptionsRequest): Promise<RunStart[]>;
  /**
   * Activates staged runs in their wave's turn, inside the window: the campaign's policy acts, as the
   * operator who made the campaign asked. A run that is no longer staged (an operator activated or
   * aborted it first) is left as it is.
   */
  activate(runIds: string[]): Promise<void>;
  /** Answers abort to runs that wait for an operator, so that an aborted campaign's runs reach their end. */
  abortWaiting(runIds: string[], actor: Actor): Promise<void>;
}

/** The work of each step; `save` takes the key its writes carry. */
function campaignWork(deps: CampaignStepDeps) {
  /** Answers `answer` to each run that waits for it; one that stopped waiting meanwhile is left as it is. */
  const decideEach = async (runIds: string[], answer: 'activate' | 'abort', actor: Actor): Promise<void> => {
    for (const runId of runIds) {
      try {
        await deps.procedure.decide(runId, { answer, actor });
      } catch (error) {
        if (!(error instanceof NotWaitingError)) throw error;
      }
    }
  };
  return {
    create: (plan: CampaignPlan, counters: Counters): Promise<void> => deps.store.create(plan, counters),
    save: async (key: string, campaignId: string, progress: CampaignProgress, wave: number | null, devices: CampaignDevice[], events: CampaignEventDraft[]) => {
      await deps.store.save(campaignId, key, progress, devices, events);
      deps.live?.emit('campaignChanged', { campaignId, state: progress.state, wave, counters: progress.counters });
    },
    look: async (campaignId: string, runs: WatchedRun[], waitUntil?: number): Promise<Look> => {
      if (waitUntil !== undefined) await deps.signals.wait(campaignId, waitUntil - deps.clock(), () => deps.store.wakePending(campaignId));
      // Taken before the runs are read, in a statement of its own: a run that ends after it wakes
      // the campaign again, and one that ended before it is in what is read next.
      const { controlsPending } = await deps.store.wakeTaken(campaignId);
      const observations = runs.length > 0 ? await readRuns(deps.runs, runs) : [];
      return { observations, now: deps.clock(), controlsPending };
    },
    controlsTaken: (campaignId: string): Promise<void> => deps.store.controlsTaken(campaignId),
    createRuns: (campaignId: string, attempts: Attempt[], policy: RunPolicy, options?: RunOptionsRequest): Promise<RunStart[]> =>
      Promise.all(attempts.map((attempt) => createAttempt(deps.runCreation, campaignId, attempt, policy, options))),
    activate: (runIds: string[]): Promise<void> => decideEach(runIds, 'activate', 'policy'),
    abortWaiting: (runIds: string[], actor: Actor): Promise<void> => decideEach(runIds, 'abort', actor.startsWith('operator:') ? actor : 'operator:campaign'),
  };
}

// Database steps retry on their own: a lost connection must not stop a campaign.
const databaseStep = { retriesAllowed: true, maxAttempts: 5, intervalSeconds: 1, backoffRate: 2 };
const retried = { retries: true };
const once = { retries: false };

export function registerCampaignSteps(deps: CampaignStepDeps) {
  const work = campaignWork(deps);
  const names = {
    create: 'safeflash.campaign.create',
    save: 'safeflash.campaign.save',
    look: 'safeflash.campaign.look',
    controlsTaken: 'safeflash.campaign.controlsTaken',
    createRuns: 'safeflash.campaign.createRuns',
    activate: 'safeflash.campaign.activate',
    abortWaiting: 'safeflash.campaign.abortWaiting',
  } as const;

  /** The steps as DBOS steps, for campaigns recorded before their journal. */
  const dbosSteps: CampaignStepCalls = {
    create: DBOS.registerStep(work.create, { name: names.create, ...databaseStep }),
    // The key of what a DBOS step saves: its place in the campaign's workflow.
    save: DBOS.registerStep((...args: Parameters<CampaignStepCalls['save']>) => work.save(`step:${DBOS.stepID ?? 'none'}`, ...args), {
      name: names.save,
      ...databaseStep,
    }),
    look: DBOS.registerStep(work.look, { name: names.look, ...databaseStep }),
    controlsTaken: DBOS.registerStep(work.controlsTaken, { name: names.controlsTaken, ...databaseStep }),
    createRuns: DBOS.registerStep(work.createRuns, { name: names.createRuns, ...databaseStep }),
    activate: DBOS.registerStep(work.activate, { name: names.activate }),
    abortWaiting: DBOS.registerStep(work.abortWaiting, { name: names.abortWaiting }),
  };

  // A journal's steps run in the workflow's code, where DBOS would take a call they make (the message
  // that gives a run its decision) for one of the campaign's own. They run in the context this function
  // is called in (the manager's start, outside every workflow), as they did inside DBOS's steps.
  const outside = {
    create: AsyncResource.bind(work.create),
    save: AsyncResource.bind(work.save),
    look: AsyncResource.bind(work.look),
    controlsTaken: AsyncResource.bind(work.controlsTaken),
    createRuns: AsyncResource.bind(work.createRuns),
    activate: AsyncResource.bind(work.activate),
    abortWaiting: AsyncResource.bind(work.abortWaiting),
  };

  return {
    dbosSteps,
    /** The steps of an execution of a campaign's workflow, recorded in its journal. */
    async journalOf(campaignId: string): Promise<CampaignStepCalls> {
      const journal = await CampaignJournal.open(deps.records, campaignId);
      return {
        create: (...args) => journal.step(names.create, () => outside.create(...args), retried),
        save: (...args) => journal.step(names.save, (key) => outside.save(key, ...args), retried),
        look: (...args) => journal.step(names.look, () => outside.look(...args), retried),
        controlsTaken: (...args) => journal.step(names.controlsTaken, () => outside.controlsTaken(...args), retried),
        createRuns: (...args) => journal.step(names.createRuns, () => outside.createRuns(...args), retried),
        activate: (...args) => journal.step(names.activate, () => outside.activate(...args), once),
        abortWaiting: (...args) => journal.step(names.abortWaiting, () => outside.abortWaiting(...args), once),
      };
    },

    /** The campaign clock (campaigns recorded before look; see workflow.ts). */
    now: DBOS.registerStep(async (): Promise<number> => deps.clock(), { name: 'safeflash.campaign.now' }),

    /** Where the runs stand (campaigns recorded before look; see workflow.ts). */
    observe: DBOS.registerStep(
      async (campaignId: string, runs: WatchedRun[]): Promise<RunObservation[]> => {
        await deps.store.wakeTaken(campaignId);
        return readRuns(deps.runs, runs);
      },
      { name: 'safeflash.campaign.observe', ...databaseStep },
    ),

    /** The run row of one attempt (campaigns recorded before createRuns; see workflow.ts). */
    createRun: DBOS.registerStep(
      async (campaignId: string, deviceId: number, attempt: number, imageSha256: string, policy: RunPolicy, options?: RunOptionsRequest): Promise<RunStart> =>
        createAttempt(deps.runCreation, campaignId, { deviceId, attempt, imageSha256 }, policy, options),
      { name: 'safeflash.campaign.createRun' },
    ),
  };
}

export type CampaignSteps = ReturnType<typeof registerCampaignSteps>;
