// The campaign workflow's durable steps: everything it reads from or does to the world outside the
// workflow goes through one, so that a replay after a crash sees the same answers and does nothing
// twice (run IDs are fixed per campaign, device and attempt; writes carry the step's key).
import { DBOS } from '@dbos-inc/dbos-sdk';
import type { RunStore } from '../store/runs.ts';
import type { LiveEvents } from '../live-events.ts';
import { NotWaitingError, RunRequestError } from '../procedure/errors.ts';
import type { Procedure } from '../procedure/procedure.ts';
import type { RunOptionsRequest } from '../procedure/run-options.ts';
import { createRun, type RunCreation } from '../procedure/start-run.ts';
import type { CampaignProgress, CampaignStore } from '../store/campaigns.ts';
import type { Actor, RunPolicy } from '../store/records.ts';
import { campaignRunId, type CampaignDevice, type CampaignEventDraft, type CampaignPlan, type Counters } from './model.ts';
import type { CampaignSignals } from './campaign-signals.ts';
import { readRuns } from './run-watch.ts';
import type { RunObservation, StartRefusal, WatchedRun } from './scheduler.ts';

export interface CampaignStepDeps {
  runs: Pick<RunStore, 'standings' | 'timelineLines'>;
  store: CampaignStore;
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

// Database steps retry on their own: a lost connection must not stop a campaign.
const databaseStep = { retriesAllowed: true, maxAttempts: 5, intervalSeconds: 1, backoffRate: 2 };

/** The key of the events a step saves: the step's place in the campaign's workflow. */
function stepKey(): string {
  return `step:${DBOS.stepID ?? 'none'}`;
}

export function registerCampaignSteps(deps: CampaignStepDeps) {
  return {
    /** The campaign clock (campaigns recorded before look; see workflow.ts). */
    now: DBOS.registerStep(async (): Promise<number> => deps.clock(), { name: 'safeflash.campaign.now' }),

    create: DBOS.registerStep(async (plan: CampaignPlan, counters: Counters): Promise<void> => deps.store.create(plan, counters), {
      name: 'safeflash.campaign.create',
      ...databaseStep,
    }),

    save: DBOS.registerStep(
      async (campaignId: string, progress: CampaignProgress, wave: number | null, devices: CampaignDevice[], events: CampaignEventDraft[]): Promise<void> => {
        await deps.store.save(campaignId, stepKey(), progress, devices, events);
        deps.live?.emit('campaignChanged', { campaignId, state: progress.state, wave, counters: progress.counters });
      },
      { name: 'safeflash.campaign.save', ...databaseStep },
    ),

    /** Where the runs stand (campaigns recorded before look; see workflow.ts). */
    observe: DBOS.registerStep(
      async (campaignId: string, runs: WatchedRun[]): Promise<RunObservation[]> => {
        await deps.store.wakeTaken(campaignId);
        return readRuns(deps.runs, runs);
      },
      {
        name: 'safeflash.campaign.observe',
        ...databaseStep,
      },
    ),

    /**
     * A tick's look in one step: waits for a wake until `waitUntil` (by the campaign clock; not at the
     * first look), then reads where the runs stand and the campaign clock. A replayed look answers what
     * it answered, without waiting again.
     */
    look: DBOS.registerStep(
      async (campaignId: string, runs: WatchedRun[], waitUntil?: number): Promise<Look> => {
        if (waitUntil !== undefined) await deps.signals.wait(campaignId, waitUntil - deps.clock(), () => deps.store.wakePending(campaignId));
        // Taken before the runs are read, in a statement of its own: a run that ends after it wakes
        // the campaign again, and one that ended before it is in what is read next.
        const { controlsPending } = await deps.store.wakeTaken(campaignId);
        const observations = runs.length > 0 ? await readRuns(deps.runs, runs) : [];
        return { observations, now: deps.clock(), controlsPending };
      },
      { name: 'safeflash.campaign.look', ...databaseStep },
    ),

    /** The campaign takes the operators' requests among its messages now (workflow.ts). */
    controlsTaken: DBOS.registerStep(async (campaignId: string): Promise<void> => deps.store.controlsTaken(campaignId), {
      name: 'safeflash.campaign.controlsTaken',
      ...databaseStep,
    }),

    /** The run row of one attempt (campaigns recorded before createRuns; see workflow.ts). */
    createRun: DBOS.registerStep(
      async (campaignId: string, deviceId: number, attempt: number, imageSha256: string, policy: RunPolicy, options?: RunOptionsRequest): Promise<RunStart> =>
        createAttempt(deps.runCreation, campaignId, { deviceId, attempt, imageSha256 }, policy, options),
      { name: 'safeflash.campaign.createRun' },
    ),

    /**
     * The run rows of a tick's attempts, made together (one statement for the lot, store/runs.ts). Tried
     * again on a database error: the attempts made before it are found by their run IDs.
     */
    createRuns: DBOS.registerStep(
      async (campaignId: string, attempts: Attempt[], policy: RunPolicy, options?: RunOptionsRequest): Promise<RunStart[]> =>
        Promise.all(attempts.map((attempt) => createAttempt(deps.runCreation, campaignId, attempt, policy, options))),
      { name: 'safeflash.campaign.createRuns', ...databaseStep },
    ),

    /**
     * Activates staged runs in their wave's turn, inside the window: the campaign's policy acts, as the
     * operator who made the campaign asked. A run that is no longer staged (an operator activated or
     * aborted it first) is left as it is.
     */
    activate: DBOS.registerStep(
      async (runIds: string[]): Promise<void> => {
        for (const runId of runIds) {
          try {
            await deps.procedure.decide(runId, { answer: 'activate', actor: 'policy' });
          } catch (error) {
            if (!(error instanceof NotWaitingError)) throw error;
          }
        }
      },
      { name: 'safeflash.campaign.activate' },
    ),

    /** Answers abort to runs that wait for an operator, so that an aborted campaign's runs reach their end. */
    abortWaiting: DBOS.registerStep(
      async (runIds: string[], actor: Actor): Promise<void> => {
        const operator: Actor = actor.startsWith('operator:') ? actor : 'operator:campaign';
        for (const runId of runIds) {
          try {
            await deps.procedure.decide(runId, { answer: 'abort', actor: operator });
          } catch (error) {
            // It stopped waiting meanwhile (someone answered, or it ended): nothing left to do.
            if (!(error instanceof NotWaitingError)) throw error;
          }
        }
      },
      { name: 'safeflash.campaign.abortWaiting' },
    ),
  };
}

export type CampaignSteps = ReturnType<typeof registerCampaignSteps>;
