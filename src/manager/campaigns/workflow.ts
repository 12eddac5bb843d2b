// One campaign is one durable workflow: look at its runs, read the clock, let the scheduler decide,
// start what it says, record what changed, then wait for an operator's message or the next look.
// Everything it knows comes from its input (the plan, fixed at creation) and its recorded steps and
// messages, so a manager that restarts replays it to the same point and carries on; nothing lives
// only in memory.
import { DBOS } from '@dbos-inc/dbos-sdk';
import { controlTopic, type CampaignPlan, type CampaignState, type ControlMessage } from './model.ts';
import { CampaignScheduler, type SchedulerTiming, type WindowView } from './scheduler.ts';
import type { CampaignSteps } from './steps.ts';
import { untilWindowOpens, windowIsOpen } from './window.ts';
import type { Procedure } from '../procedure/procedure.ts';

export const campaignWorkflowName = 'safeflash.campaign';

function windowAt(plan: CampaignPlan, now: number): WindowView {
  const window = plan.settings.window;
  if (!window) return { open: true, untilOpenMs: 0 };
  return { open: windowIsOpen(window, now), untilOpenMs: untilWindowOpens(window, now) };
}

export function registerCampaignWorkflow(steps: CampaignSteps, timing: SchedulerTiming, procedure: Pick<Procedure, 'resume'>) {
  return DBOS.registerWorkflow(
    async (plan: CampaignPlan): Promise<CampaignState> => {
      const scheduler = new CampaignScheduler(plan, timing);
      let saved = '';
      const save = async () => {
        const changes = scheduler.drain();
        const snapshot = scheduler.snapshot();
        const fingerprint = `${snapshot.state}|${snapshot.stage?.index ?? '-'}|${snapshot.pauseCause ?? '-'}`;
        if (changes.events.length === 0 && changes.devices.length === 0 && !changes.stagesChanged && fingerprint === saved) return;
        saved = fingerprint;
        const wave = snapshot.stage?.kind === 'wave' ? snapshot.stage.index : null;
        await steps.save(plan.campaignId, snapshot, wave, changes.devices, changes.events);
      };

      // Each device's image: its model's, when the campaign has several.
      const imageOf = new Map(plan.devices.flatMap((d) => (d.imageSha256 ? [[d.deviceId, d.imageSha256] as const] : [])));
      await steps.create(plan, scheduler.snapshot().counters);
      await save();
      // Ends when the scheduler says the campaign has ended: every device's run has reached its end.
      for (;;) {
        const active = scheduler.activeRuns();
        if (active.length > 0) scheduler.onObservations(await steps.observe(active));
        const now = await steps.now();
        const tick = scheduler.tick(now, windowAt(plan, now));
        if (tick.abortWaiting.length > 0) await steps.abortWaiting(tick.abortWaiting, scheduler.abortedBy ?? 'manager');
        // A tick's runs are made together, then started together, so that the campaign reaches its
        // concurrency at once rather than one run at a time. DBOS numbers each call when it is made,
        // and the calls are made in the tick's order, so a replay matches every one to its record.
        const made = await Promise.all(
          tick.start.map(({ deviceId, attempt }) =>
            steps.createRun(plan.campaignId, deviceId, attempt, imageOf.get(deviceId) ?? plan.imageSha256, plan.settings.policy, plan.settings.runOptions),
          ),
        );
        // Under the run's own ID: a replay finds the workflow already there and starts nothing.
        await Promise.all(made.flatMap((started) => (started.ok ? [procedure.resume({ id: started.runId, kind: 'upgrade' })] : [])));
        if (tick.activate.length > 0) await steps.activate(tick.activate);
        tick.start.forEach(({ deviceId }, i) => {
          const started = made[i]!;
          if (started.ok) scheduler.onStarted(deviceId, started.runId, now);
          else scheduler.onRefused(deviceId, started.refusal, now);
        });
        await save();
        if (scheduler.isFinished) return scheduler.currentState;
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
