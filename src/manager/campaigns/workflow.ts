// One campaign is one durable workflow: look at its runs, read the clock, take operators' requests, let
// the scheduler decide, start what it says, record what changed, then wait for a wake or the next look.
// Everything it knows comes from its input (the plan, fixed at creation) and its recorded steps and
// messages, so a manager that restarts replays it to the same point and carries on; nothing lives
// only in memory.
import { AsyncResource } from 'node:async_hooks';
import { DBOS } from '@dbos-inc/dbos-sdk';
import { controlTopic, type CampaignPlan, type CampaignState, type ControlMessage } from './model.ts';
import { RunStarts } from './run-starts.ts';
import { CampaignScheduler, type SchedulerTiming, type Tick, type WatchedRun, type WindowView } from './scheduler.ts';
import type { CampaignSteps, Look, RunStart } from './steps.ts';
import { untilWindowOpens, windowIsOpen } from './window.ts';
import type { Procedure } from '../procedure/procedure.ts';

export const campaignWorkflowName = 'safeflash.campaign';
/** The DBOS patch that marks campaigns whose ticks take one step to look and one to make their runs. */
const tickStepsPatch = 'campaign-tick-steps';
/** The DBOS patch that marks campaigns whose runs are started outside the campaign's workflow. */
const startsOutsidePatch = 'campaign-runs-started-outside';
/** The DBOS patch that marks campaigns that wait inside their look and take operators' messages only when marked. */
const waitsInLookPatch = 'campaign-waits-in-look';
/** The DBOS patch that marks campaigns whose steps are recorded in their own journal (campaign-journal.ts). */
const ownJournalPatch = 'campaign-own-journal';

function windowAt(plan: CampaignPlan, now: number): WindowView {
  const window = plan.settings.window;
  if (!window) return { open: true, untilOpenMs: 0 };
  return { open: windowIsOpen(window, now), untilOpenMs: untilWindowOpens(window, now) };
}

export function registerCampaignWorkflow(steps: CampaignSteps, timing: SchedulerTiming, procedure: Pick<Procedure, 'resume'>) {
  // A run started from inside the campaign's workflow is its child: DBOS records each child's start in
  // a transaction that holds a lock on the campaign's own row, so a tick's starts went one at a time,
  // tens of milliseconds each on a busy database, while freed slots waited. Started in the context
  // this function is called in (the manager's start, outside every workflow), they go side by side.
  // Nothing is lost by it: a replay starts them again, and each start under the run's own ID finds
  // the run's workflow already there.
  const start = (runId: string) => procedure.resume({ id: runId, kind: 'upgrade' });
  const startOutside = AsyncResource.bind(start);
  return DBOS.registerWorkflow(
    async (plan: CampaignPlan): Promise<CampaignState> => {
      const scheduler = new CampaignScheduler(plan, timing);
      // A tick looks at its runs and makes its runs in one step each. Campaigns recorded before that
      // (a look was two steps, each run its own step) replay the steps they recorded: the patch is
      // recorded first in a new campaign, and found missing in an older one.
      const oneStepPerTick = await DBOS.patch(tickStepsPatch);
      // Runs started outside the workflow (above). Campaigns recorded before recorded a child start per
      // run, and replay them as such.
      const startsOutside = await DBOS.patch(startsOutsidePatch);
      // The wait between two looks is part of the next look, woken in memory (campaign-signals.ts), and
      // the campaign's messages (operators' requests) are received only when the look says some wait:
      // a receive costs about ten statements on DBOS's connections, a turn of the loop each, and its
      // wake reached the campaign a few hundred milliseconds late on a busy manager. Campaigns recorded
      // before wait in a receive of their messages.
      const waitsInLook = await DBOS.patch(waitsInLookPatch);
      // Its steps recorded in its own journal, one statement each (campaign-journal.ts says why);
      // campaigns recorded before replay the DBOS steps they recorded.
      const ownJournal = await DBOS.patch(ownJournalPatch);
      const calls = ownJournal ? await steps.journalOf(plan.campaignId) : steps.dbosSteps;
      let saved = '';
      const save = async () => {
        const changes = scheduler.drain();
        const snapshot = scheduler.snapshot();
        const fingerprint = `${snapshot.state}|${snapshot.stage?.index ?? '-'}|${snapshot.pauseCause ?? '-'}`;
        if (changes.events.length === 0 && changes.devices.length === 0 && !changes.stagesChanged && fingerprint === saved) return;
        saved = fingerprint;
        const wave = snapshot.stage?.kind === 'wave' ? snapshot.stage.index : null;
        await calls.save(plan.campaignId, snapshot, wave, changes.devices, changes.events);
      };

      const look = async (active: WatchedRun[], waitUntil: number | undefined): Promise<Look> => {
        if (oneStepPerTick) return calls.look(plan.campaignId, active, waitUntil);
        const observations = active.length > 0 ? await steps.observe(plan.campaignId, active) : [];
        return { observations, now: await steps.now() };
      };
      /** Every message waiting, in the order sent; the mark is taken first, so that a later one marks again. */
      const takeMessages = async (): Promise<void> => {
        await calls.controlsTaken(plan.campaignId);
        for (let message = await DBOS.recv<ControlMessage>(controlTopic, 0); message; message = await DBOS.recv<ControlMessage>(controlTopic, 0)) {
          scheduler.onControl(message);
        }
      };
      // Each device's image: its model's, when the campaign has several.
      const imageOf = new Map(plan.devices.flatMap((d) => (d.imageSha256 ? [[d.deviceId, d.imageSha256] as const] : [])));
      const { policy, runOptions } = plan.settings;
      // A tick's runs are made together, then started together, so that the campaign reaches its
      // concurrency at once rather than one run at a time. In older campaigns DBOS numbers each call
      // when it is made, in the tick's order, so a replay matches every one to its record.
      const createRuns = async (starts: Tick['start']): Promise<RunStart[]> => {
        const attempts = starts.map(({ deviceId, attempt }) => ({ deviceId, attempt, imageSha256: imageOf.get(deviceId) ?? plan.imageSha256 }));
        if (attempts.length === 0) return [];
        if (oneStepPerTick) return calls.createRuns(plan.campaignId, attempts, policy, runOptions);
        return Promise.all(attempts.map((a) => steps.createRun(plan.campaignId, a.deviceId, a.attempt, a.imageSha256, policy, runOptions)));
      };
      await calls.create(plan, scheduler.snapshot().counters);
      await save();
      // Ends when the scheduler says the campaign has ended: every device's run has reached its end.
      const starts = new RunStarts();
      let waitUntil: number | undefined;
      for (;;) {
        const { observations, now, controlsPending } = await look(scheduler.activeRuns(), waitUntil);
        if (controlsPending) await takeMessages();
        scheduler.onObservations(observations);
        const tick = scheduler.tick(now, windowAt(plan, now));
        if (tick.abortWaiting.length > 0) await calls.abortWaiting(tick.abortWaiting, scheduler.abortedBy ?? 'manager');
        const made = await createRuns(tick.start);
        // Under the run's own ID: a replay finds the workflow already there and starts nothing. The
        // turn goes on without waiting for the starts (run-starts.ts says why). Campaigns recorded
        // before started their runs as children, which DBOS counts among the workflow's steps: those
        // replay them in the order recorded, before the steps that follow.
        const madeIds = made.flatMap((started) => (started.ok ? [started.runId] : []));
        if (startsOutside) {
          starts.check();
          starts.start(madeIds, startOutside);
        } else await Promise.all(madeIds.map(start));
        if (tick.activate.length > 0) await calls.activate(tick.activate);
        tick.start.forEach(({ deviceId }, i) => {
          const started = made[i]!;
          if (started.ok) scheduler.onStarted(deviceId, started.runId, now);
          else scheduler.onRefused(deviceId, started.refusal, now);
        });
        await save();
        if (scheduler.isFinished) {
          await starts.settled();
          return scheduler.currentState;
        }
        if (waitsInLook) {
          waitUntil = now + tick.waitSeconds * 1000;
          continue;
        }
        let message = await DBOS.recv<ControlMessage>(controlTopic, tick.waitSeconds);
        // Several messages may have arrived together: take them all before deciding again.
        for (let taken = 0; message && taken < 100; taken++) {
          scheduler.onControl(message);
          message = await DBOS.recv<ControlMessage>(controlTopic, 0);
        }
      }
    },
    { name: campaignWorkflowName },
  );
}
