// The procedure: durable runs (DBOS workflows) of DESIGN.md section 1, and what the rest of the manager
// asks of them: start a run or a backup, hand an operator's decision or a device's notification to the
// run that waits for it, show progress and history. registerProcedure comes before DBOS.launch(), once
// per process (DBOS is a process-wide singleton).
import { DBOS, Error as DBOSErrors } from '@dbos-inc/dbos-sdk';
import type { DeviceNotification } from '../notifications.ts';
import type { Actor, DecisionRecord, RunKind, RunOutcome, RunRecord } from '../store/records.ts';
import type { RunStore } from '../store/runs.ts';
import { backupRun } from './backup-workflow.ts';
import { cancelRun, type CancelAnswer } from './cancel.ts';
import { decide, type DecisionRequest } from './decide.ts';
import { NotificationRouter, ProgressBoard } from './delivery.ts';
import { OperationSignals } from './operation-signals.ts';
import { registerDeviceSteps } from './device-steps.ts';
import { registerFileSteps } from './file-steps.ts';
import type { ProcedureDeps } from './procedure-deps.ts';
import { end } from './run-end.ts';
import type { DurableWaits, RunContext, Steps } from './run-context.ts';
import { messagePollingMs, operatorTopic } from './messages.ts';
import type { EventToWrite, Written } from '../store/step-records.ts';
import { RunFeed } from './run-feed.ts';
import { lastEvent, registerRunSteps } from './run-steps.ts';
import { RunJournal } from './run-journal.ts';
import { runPlan } from './run-plan.ts';
import { family } from '../../families/families.ts';
import type { RunDefaults, RunOptionsRequest } from './run-options.ts';
import { createRun, type StartRunRequest } from './start-run.ts';
import { resolveTimeouts, timeLimitsOf } from './timeouts.ts';
import { upgradeRun } from './upgrade-workflow.ts';
import { runQueueName } from './run-queue.ts';

export type { ProcedureDeps, ProcedureFiles } from './procedure-deps.ts';
export type { StartRunRequest } from './start-run.ts';
export type { RunDefaults, RunOptionsRequest } from './run-options.ts';
export type { DecisionRequest } from './decide.ts';
export type { CancelAnswer } from './cancel.ts';
export { CancelError, DecisionError, NotWaitingError, RunRequestError } from './errors.ts';
export { serveRunQueue } from './run-queue.ts';
export { defaultRunQueueLimits, checkRunQueueLimits, type RunQueueLimits } from './run-queue-limits.ts';

/** The names DBOS records the runs' workflows under: upgrades, backups. */
export const runWorkflowNames = ['safeflash.upgradeRun', 'safeflash.backupRun'] as const;

export interface Procedure {
  startRun(request: StartRunRequest): Promise<RunRecord>;
  startBackup(request: { deviceId: number; startedBy: Actor; options?: RunOptionsRequest }): Promise<{ runId: string }>;
  /** Throws NotWaitingError when the run is not waiting, DecisionError when the decision does not fit. */
  decide(runId: string, decision: DecisionRequest): Promise<DecisionRecord>;
  /**
   * Asks an active run to stop at its next safe point, then end or roll back by the usual rules.
   * Throws CancelError when the run is unknown or has ended; a repeated request changes nothing.
   */
  cancel(runId: string, actor: Actor): Promise<CancelAnswer>;
  deliver(notification: DeviceNotification): Promise<void>;
  /**
   * Starts a run's workflow under the run's ID, for a run whose row exists (a campaign's, or one whose
   * manager died before starting it). Starting an ID that exists starts nothing: DBOS inserts the
   * workflow's row with ON CONFLICT on the ID and only the transaction that created it executes it;
   * every other caller (another manager, a replay, startRun itself) gets the existing workflow.
   */
  resume(run: { id: string; kind: RunKind }): Promise<void>;
  /** The last progress (0-100) of the run's current operation, while it runs in this process's sight. */
  progress(runId: string): number | undefined;
  runs: RunStore;
  /** The manager's transport and time limits, for runs that name none (and their campaigns). */
  defaults: RunDefaults;
}

export function registerProcedure(deps: ProcedureDeps): Procedure {
  const timeouts = resolveTimeouts(deps.timeouts);
  const defaults: RunDefaults = { transport: deps.protocol ?? 'tftp', timeLimits: timeLimitsOf(timeouts) };
  const { runs, devices, images, backups, routes, steps: stepRecords } = deps.store;
  const asked = deps.operatorStore ?? deps.store;
  const feed = new RunFeed(runs, deps.live, (error) => DBOS.logger.warn(`live run event not published: ${error.message}`));
  const progress = new ProgressBoard((runId, value) => feed.progress(runId, value));
  const signals = deps.signals ?? new OperationSignals();
  const router = new NotificationRouter(routes, progress, signals, (error) => DBOS.logger.warn(`notification not delivered: ${error.message}`));

  const definitions = {
    ...registerRunSteps({
      runs,
      devices,
      images,
      backups,
      onEnded: (runId) => progress.forget(runId),
      onChanged: (runId, last, run) => feed.changed(runId, last, run),
    }),
    ...registerDeviceSteps({
      devices,
      runs,
      routes,
      driverFor: deps.driverFor,
      notifyTarget: deps.notifyTarget,
      transferPassword: (username) => deps.files.transferPassword(username),
      onProgress: (runId, value) => progress.set(runId, value),
      signals,
    }),
    ...registerFileSteps(deps.files),
  };

  const workflow = (name: string, body: (ctx: RunContext) => Promise<RunOutcome>) =>
    DBOS.registerWorkflow(
      async (runId: string): Promise<RunOutcome> => {
        const journal = await RunJournal.open(stepRecords, runId, (written, events) => announce(runId, written, events));
        const steps: Steps = journal.bind(definitions);
        const run = await steps.loadRun(runId);
        const options = run.options ?? { ...defaults, reinstall: false };
        const name = run.family ?? 'safeflash';
        const ctx: RunContext = {
          run,
          steps,
          timeouts,
          protocol: options.transport,
          options,
          plan: runPlan(name, family(name).capabilities),
          record: async (event) => journal.event(event),
          durable: durableWaits(journal),
        };
        const outcome = await ending(ctx, body);
        await journal.writePending();
        return outcome;
      },
      { name },
    );
  /**
   * Live displays and metrics hear of the events a journal wrote (not of a replay's, which were there
   * already), each in its own phase: several may be written at once, and the run's row shows the last.
   */
  const announce = (runId: string, written: Written, events: EventToWrite[]) => {
    for (const { key, at, event } of events) {
      if (!written.events.includes(key)) continue;
      const run = written.run && { ...written.run, phase: event.phase, ...(event.state ? { state: event.state } : {}) };
      feed.changed(runId, lastEvent(event.kind, event.message, event.cause, event.detail, at), run);
    }
  };
  const upgradeWorkflow = workflow(runWorkflowNames[0], upgradeRun);
  const backupWorkflow = workflow(runWorkflowNames[1], backupRun);

  async function launch(run: RunRecord, start: (runId: string) => Promise<unknown>): Promise<void> {
    try {
      await start(run.id);
    } catch (error) {
      await runs.discard(run.id);
      throw error;
    }
  }

  return {
    async startRun(request) {
      const run = await createRun({ ...asked, defaults }, 'upgrade', request);
      await launch(run, (id) => DBOS.startWorkflow(upgradeWorkflow, { workflowID: id, queueName: runQueueName })(id));
      return run;
    },
    async startBackup(request) {
      const run = await createRun({ ...asked, defaults }, 'backup', request);
      await launch(run, (id) => DBOS.startWorkflow(backupWorkflow, { workflowID: id, queueName: runQueueName })(id));
      return { runId: run.id };
    },
    async resume(run) {
      const workflow = run.kind === 'upgrade' ? upgradeWorkflow : backupWorkflow;
      await DBOS.startWorkflow(workflow, { workflowID: run.id, workflowIDReusePolicy: 'return-existing', queueName: runQueueName })(run.id);
    },
    decide: (runId, decision) => decide(asked, runId, decision),
    async cancel(runId, actor) {
      const answer = await cancelRun(asked.runs, runId, actor);
      if (!answer.repeated) {
        feed.changed(runId, {
          kind: 'cancelRequested',
          message: `${actor.slice('operator:'.length)} asked to cancel the run`,
          cause: null,
          at: new Date().toISOString(),
        });
      }
      return answer;
    },
    deliver: (notification) => router.deliver(notification),
    progress: (runId) => progress.get(runId),
    runs,
    defaults,
  };
}

/** DBOS's durable clock, timers and operator wake-ups, each after the journal wrote what is pending (run-journal.ts says why). */
function durableWaits(journal: RunJournal): DurableWaits {
  return {
    async now() {
      await journal.writePending();
      return DBOS.now();
    },
    async sleep(ms) {
      await journal.writePending();
      await DBOS.sleep(ms);
    },
    async operatorWakeUp(timeoutSeconds) {
      await journal.writePending();
      await DBOS.recv(operatorTopic, { timeoutSeconds, pollingIntervalMs: messagePollingMs });
    },
  };
}

/**
 * Runs the workflow body; a fault in the manager itself (not a device failure, which the body reports)
 * still ends the run with a true report rather than leaving it running forever. DBOS's own errors
 * pass through: shutdown and cancellation (the run resumes on the next launch), and the workflow
 * now owned by another manager's execution (which reports the run, not this one).
 */
async function ending(ctx: RunContext, body: (ctx: RunContext) => Promise<RunOutcome>): Promise<RunOutcome> {
  try {
    return await body(ctx);
  } catch (error) {
    if (error instanceof DBOSErrors.DBOSError) throw error;
    const message = (error as Error).message;
    DBOS.logger.error(`run ${ctx.run.runId} failed inside the manager: ${message}`);
    return end(ctx, null, { kind: 'internalError', message });
  }
}
