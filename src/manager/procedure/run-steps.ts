// Durable steps that read and write the run's own records: its facts, its timeline, its questions to
// operators and its end. Each event carries its step's ID as key, so a replayed step writes it once.
import type { BackupRecord, ImageRecord, Phase, RunOutcome } from '../store/records.ts';
import type { BackupStore } from '../store/backups.ts';
import type { DeviceStore } from '../store/devices.ts';
import type { ImageStore } from '../store/images.ts';
import type { ParkedState, NewEvent, RunPosition, RunStore } from '../store/runs.ts';
import type { LastEvent } from './run-feed.ts';
import { durableStep, stepKey, withJournal } from './run-journal.ts';
import { runDevice } from './device-steps.ts';
import type { ConfigFile, DecisionFacts, ImageFacts, RunFacts } from './step-types.ts';

export interface RunStepServices {
  runs: RunStore;
  devices: Pick<DeviceStore, 'get'>;
  images: ImageStore;
  backups: BackupStore;
  /** Called when a run ends, to forget what was kept in memory for it. */
  onEnded(runId: string): void;
  /** Called after the run's record changed (for live displays), with where it stands when known; must not throw. */
  onChanged(runId: string, lastEvent: LastEvent, run?: RunPosition): void;
}

// Database steps retry on their own: a lost connection must not end a run.
const databaseStep = { retries: true };
/** A database step that acts: it parks or ends the run, in the transaction that writes what the run learned before it. */
const databaseAct = { retries: true, carries: true };

export function imageFacts(image: ImageRecord): ImageFacts {
  return {
    sha256: image.sha256,
    model: image.model,
    version: image.version,
    configFormat: image.configFormat,
    payloadSha256: image.payloadSha256,
    family: image.family,
    size: image.size,
  };
}

export function configFile(backup: BackupRecord): ConfigFile {
  return { sha256: backup.sha256, kind: backup.kind, derivedFrom: backup.derivedFrom, configFormat: backup.configFormat, configDigest: backup.configDigest };
}

/** What live displays show of an event that was written. */
export function lastEvent(kind: string, message: string, cause: string | null | undefined, detail?: Record<string, unknown>, at = new Date()): LastEvent {
  const operation = detail?.type;
  return { kind, message, cause: cause ?? null, at: at.toISOString(), ...(typeof operation === 'string' ? { operation } : {}) };
}

export function registerRunSteps({ runs, devices, images, backups, onEnded, onChanged }: RunStepServices) {
  return {
    loadRun: durableStep(
      'safeflash.loadRun',
      async (runId: string): Promise<RunFacts> => {
        const found = await runs.numbered(runId);
        if (!found) throw new Error(`run ${runId} is not in the database`);
        const { run, number } = found;
        const image = run.imageSha256 === null ? undefined : await images.get(run.imageSha256);
        if (run.imageSha256 !== null && !image) throw new Error(`run ${runId}: image ${run.imageSha256} is not in the database`);
        // Kept for the run's device steps: it is read once per execution.
        const device = await runDevice(devices, run.deviceId);
        return {
          runId,
          number,
          kind: run.kind,
          deviceId: run.deviceId,
          family: device?.family ?? 'safeflash',
          policy: run.policy,
          image: image ? imageFacts(image) : null,
          options: run.options,
        };
      },
      databaseStep,
    ),

    /**
     * Parks the run until an operator answers: `waiting` for a decision after a failure, or `staged`
     * for an activation. Returns the mark after which the answer is looked for.
     */
    askOperator: durableStep(
      'safeflash.askOperator',
      async (runId: string, question: Omit<NewEvent, 'kind' | 'state'>, parkedAs: ParkedState = 'waiting'): Promise<number> => {
        const mark = await withJournal((db) => runs.recordAsk(runId, stepKey(), question, parkedAs, db));
        onChanged(runId, lastEvent(parkedAs === 'staged' ? 'staged' : 'askedOperator', question.message, question.cause));
        return mark;
      },
      databaseAct,
    ),

    findDecision: durableStep(
      'safeflash.findDecision',
      async (runId: string, afterId: number): Promise<DecisionFacts | null> => {
        const decision = await runs.decisionAfter(runId, afterId);
        if (!decision) return null;
        const image = decision.imageSha256 ? await images.get(decision.imageSha256) : undefined;
        const config = decision.backupSha256 ? await backups.get(decision.backupSha256) : undefined;
        return {
          id: decision.id,
          answer: decision.answer,
          actor: decision.actor as DecisionFacts['actor'],
          image: image ? imageFacts(image) : null,
          config: config ? configFile(config) : null,
        };
      },
      databaseStep,
    ),

    /** Who asked to cancel the run, if anyone did (read at each of the run's safe points). */
    cancelRequest: durableStep(
      'safeflash.cancelRequest',
      async (runId: string): Promise<`operator:${string}` | null> => ((await runs.cancelRequest(runId)) as `operator:${string}` | undefined) ?? null,
      databaseStep,
    ),

    /** Whether the image is still in the store (its signature was checked when it was added). */
    imageInStore: durableStep('safeflash.imageInStore', async (sha256: string): Promise<boolean> => (await images.get(sha256)) !== undefined, databaseStep),

    configFile: durableStep(
      'safeflash.configFile',
      async (sha256: string): Promise<ConfigFile | null> => {
        const backup = await backups.get(sha256);
        return backup ? configFile(backup) : null;
      },
      databaseStep,
    ),

    finish: durableStep(
      'safeflash.finish',
      async (runId: string, phase: Phase | null, outcome: RunOutcome): Promise<void> => {
        // The end's own answer (none) is written with it: nothing is left to write after the run's end.
        await withJournal((db) => runs.finish(runId, stepKey(), phase, outcome, db), { ownAnswer: null });
        onEnded(runId);
        onChanged(runId, lastEvent('runEnded', outcome.summary, outcome.state));
      },
      databaseAct,
    ),
  };
}

export type RunSteps = ReturnType<typeof registerRunSteps>;
