// The campaign's decisions, as a pure state machine: what the workflow observed (runs that moved or
// ended, operators' messages, the clock, the window) goes in; which runs to start, what to record and
// how long to wait come out. Pure and deterministic, so that a workflow replayed after a crash comes
// to the same decisions from the same recorded inputs, and so that it is tested without a device.
import type { Actor } from '../store/records.ts';
import type { RunVerdict } from './run-verdict.ts';
import {
  countDevices,
  type CampaignDevice,
  type CampaignEventDraft,
  type CampaignPlan,
  type CampaignState,
  type ControlMessage,
  type Counters,
  type Stage,
} from './model.ts';
import { failuresThatPause } from './waves.ts';

export interface SchedulerTiming {
  /** How often runs under way are looked at. */
  tickSeconds: number;
  /** Longest wait with nothing under way (paused, awaiting approval): a message ends it sooner. */
  idleSeconds: number;
  /** How often a closed window is looked at again (the clock may jump, and daylight saving moves it). */
  windowRecheckSeconds: number;
}

export interface RunObservation {
  deviceId: number;
  runId: string;
  state: 'running' | 'waiting' | 'staged' | 'ended' | 'missing';
  verdict?: RunVerdict;
}

/** A run the campaign follows, in the state it last saw. */
export interface WatchedRun {
  deviceId: number;
  runId: string;
  state: 'running' | 'waiting' | 'staged';
}

export type StartRefusal = { reason: 'busy'; message: string } | { reason: 'refused'; cause: string; message: string };

export interface Tick {
  /** Devices whose run starts now, with the attempt number it is. */
  start: Array<{ deviceId: number; attempt: number }>;
  /** Staged runs to activate now (their wave's turn, inside the window). */
  activate: string[];
  /** Waiting runs to answer "abort" (the campaign is aborting and they would wait forever). */
  abortWaiting: string[];
  waitSeconds: number;
}

export interface WindowView {
  open: boolean;
  /** Ms until it opens; 0 when open. */
  untilOpenMs: number;
}

export interface SchedulerSnapshot {
  state: CampaignState;
  stage: Stage | null;
  stages: Stage[];
  pauseCause: string | null;
  counters: Counters;
  stageCounters: Counters | null;
}

/** Devices whose run has not ended: followed, and holding their wave open. */
const activeStates = new Set(['running', 'waiting', 'staged']);
/** Devices whose run is at work: these count against maxConcurrent (a staged run only waits). */
const workingStates = new Set(['running', 'waiting']);
const failureStates = new Set(['failed', 'recovered']);
const retriedStates = new Set(['offline', 'busy']);

export class CampaignScheduler {
  readonly devices: CampaignDevice[];
  private readonly byId = new Map<number, CampaignDevice>();
  readonly stages: Stage[];
  private control: 'running' | 'paused' | 'aborting' = 'running';
  private pauseCause: string | null = null;
  private stageIndex = 0;
  private approvedStage = 0;
  private readonly acknowledged = new Map<number, number>();
  private retryAfter: number | null = null;
  private starts: number[] = [];
  private finished: 'completed' | 'aborted' | null = null;
  private state: CampaignState = 'running';
  /** What moved the campaign last: the cause and actor of its next state change. */
  private reason: { cause: string; actor: Actor } = { cause: 'created', actor: 'manager' };
  private readonly abortSent = new Set<string>();
  /** When each staged run was last sent its activation: one refused (a check failed) is tried again after the retry delay. */
  private readonly activationSent = new Map<string, number>();
  /** Who aborted the campaign, once someone has. */
  abortedBy: Actor | null = null;
  private events: CampaignEventDraft[] = [];
  private changed = new Set<number>();
  private stageChanged = true;

  constructor(
    private readonly plan: CampaignPlan,
    private readonly timing: SchedulerTiming,
  ) {
    this.stages = plan.waves.map((w) => ({ ...w }));
    this.devices = plan.devices.map((d) => ({
      deviceId: d.deviceId,
      name: d.name,
      stage: d.wave,
      wave: d.wave,
      state: d.skip ? 'skipped' : 'pending',
      attempts: 0,
      runId: null,
      cause: d.skip ? 'alreadyCurrent' : null,
      message: d.skip ?? null,
      startedAt: null,
    }));
    for (const d of this.devices) this.byId.set(d.deviceId, d);
    this.events.push({
      kind: 'created',
      actor: plan.createdBy,
      cause: 'created',
      message: `campaign "${plan.name}" created: ${this.devices.length} device(s) in ${this.stages.length} wave(s) (${this.stages.map((s) => s.size).join(', ')}) to ${plan.imageVersion}`,
      detail: { waves: this.stages.map((s) => s.size), skipped: this.devices.filter((d) => d.state === 'skipped').length },
    });
    if (this.stages.length > 0)
      this.event('waveStarted', 'manager', 'wave', `wave 1 of ${this.stages.length} (${this.stages[0]!.size} device(s))`, { wave: 1 });
  }

  get isFinished(): boolean {
    return this.finished !== null;
  }

  get currentState(): CampaignState {
    return this.state;
  }

  /** Runs under way, to observe, with the state the campaign last saw each in. */
  activeRuns(): WatchedRun[] {
    return this.devices
      .filter((d) => activeStates.has(d.state) && d.runId)
      .map((d) => ({ deviceId: d.deviceId, runId: d.runId!, state: d.state as WatchedRun['state'] }));
  }

  onControl(message: ControlMessage): void {
    if (this.finished) return;
    switch (message.kind) {
      case 'runEnded':
        return; // a wake: the look at the runs that follows reads how the run ended
      case 'pause':
        if (this.control !== 'running') return;
        this.control = 'paused';
        this.pauseCause = 'operator';
        this.reason = { cause: 'pausedByOperator', actor: message.actor };
        return;
      case 'resume':
        if (this.control !== 'paused') return;
        this.control = 'running';
        this.pauseCause = null;
        // The failures an operator has seen and resumed past no longer count against this stage.
        this.acknowledged.set(this.stageIndex, this.failures(this.stageIndex));
        this.reason = { cause: 'resumedByOperator', actor: message.actor };
        return;
      case 'abort':
        if (this.control === 'aborting') return;
        this.control = 'aborting';
        this.abortedBy = message.actor;
        this.reason = { cause: 'abortedByOperator', actor: message.actor };
        return;
      case 'approve': {
        const stage = this.stages[this.stageIndex];
        if (!this.awaitsApproval() || (message.wave !== undefined && stage?.kind === 'wave' && message.wave !== stage.number)) {
          this.event(
            'approvalIgnored',
            message.actor,
            'notAwaited',
            `approval${message.wave !== undefined ? ` of wave ${message.wave}` : ''} ignored: no such wave awaits approval`,
          );
          return;
        }
        this.approvedStage = this.stageIndex;
        this.event('approved', message.actor, 'approved', `wave ${stage!.number} approved`, { wave: stage!.number });
        this.reason = { cause: 'approved', actor: message.actor };
        return;
      }
    }
  }

  onObservations(observations: readonly RunObservation[]): void {
    for (const o of observations) {
      const device = this.byId.get(o.deviceId);
      if (!device || device.runId !== o.runId || !activeStates.has(device.state)) continue;
      if (o.state === 'running' || o.state === 'waiting' || o.state === 'staged') {
        if (device.state !== o.state) this.setDevice(device, { state: o.state });
        continue;
      }
      if (o.state === 'missing') {
        this.setDevice(device, { state: 'failed', cause: 'runMissing', message: `run ${o.runId} is no longer in the database` });
        continue;
      }
      const verdict = o.verdict!;
      this.setDevice(device, { state: verdict.result, cause: verdict.cause, message: verdict.summary });
      if (verdict.result === 'offline') {
        this.event(
          'deviceOffline',
          'manager',
          'offline',
          `${device.name} did not answer (attempt ${device.attempts}); ${this.attemptsLeft(device) > 0 ? 'it is tried again after the last wave' : 'no attempts left'}`,
          { deviceId: device.deviceId, runId: o.runId },
        );
      }
    }
  }

  onStarted(deviceId: number, runId: string, now: number): void {
    const device = this.byId.get(deviceId)!;
    this.starts.push(now);
    this.setDevice(device, { state: 'running', attempts: device.attempts + 1, runId, cause: null, message: null, startedAt: now });
  }

  onRefused(deviceId: number, refusal: StartRefusal, now: number): void {
    const device = this.byId.get(deviceId)!;
    if (refusal.reason === 'busy') {
      this.setDevice(device, { state: 'busy', attempts: device.attempts + 1, cause: 'activeRun', message: refusal.message, startedAt: now });
      this.event('deviceBusy', 'manager', 'activeRun', `${device.name} was not started: ${refusal.message}`, { deviceId });
    } else {
      this.setDevice(device, { state: 'failed', attempts: device.attempts + 1, cause: refusal.cause, message: refusal.message, startedAt: now });
    }
  }

  /** Decides what happens now. `now` is the campaign clock (ms). */
  tick(now: number, window: WindowView): Tick {
    const result: Tick = { start: [], activate: [], abortWaiting: [], waitSeconds: this.timing.tickSeconds };
    if (this.finished) return result;
    this.starts = this.starts.filter((t) => t > now - 60_000);

    if (this.control === 'running' && this.stageIndex < this.stages.length) {
      const stage = this.stages[this.stageIndex]!;
      const counted = this.failures(stage.index) - (this.acknowledged.get(stage.index) ?? 0);
      if (counted >= stage.pauseAt) {
        this.control = 'paused';
        this.pauseCause = 'threshold';
        this.reason = { cause: 'thresholdCrossed', actor: 'policy' };
        this.event(
          'thresholdCrossed',
          'policy',
          'thresholdCrossed',
          `${counted} failure(s) in ${describeStage(stage)} reached its threshold of ${stage.pauseAt}: the campaign pauses`,
          {
            stage: stage.index,
            failures: counted,
            pauseAt: stage.pauseAt,
          },
        );
      }
    }

    const active = this.devices.filter((d) => activeStates.has(d.state));
    if (this.control === 'aborting') {
      // A staged run takes abort too: it ends with its device on the software it runs.
      result.abortWaiting = active.filter((d) => (d.state === 'waiting' || d.state === 'staged') && !this.abortSent.has(d.runId!)).map((d) => d.runId!);
      for (const runId of result.abortWaiting) this.abortSent.add(runId);
      if (active.length === 0) this.finish('aborted', now);
      this.publishState();
      result.waitSeconds = this.timing.tickSeconds;
      return result;
    }

    // Stages whose devices have all ended give way to the next, while the campaign runs.
    for (let guard = 0; guard <= this.stages.length + 1 && this.control === 'running' && !this.finished; guard++) {
      if (this.stageDevices().some((d) => d.state === 'pending' || activeStates.has(d.state))) break;
      this.advance(now);
    }
    if (this.finished) {
      this.publishState();
      return result;
    }

    const staging = this.plan.settings.runOptions?.stage === true;
    // Runs start in their wave's turn; a staging campaign stages every wave's devices at once, since
    // staging changes nothing a customer notices, and activates them wave by wave.
    const pending = (staging ? this.devices : this.stageDevices()).filter((d) => d.state === 'pending');
    const toActivate = this.stageDevices().filter(
      (d) => d.state === 'staged' && now - (this.activationSent.get(d.runId!) ?? -Infinity) >= this.plan.settings.retryDelaySeconds * 1000,
    );
    let waitSeconds = active.length > 0 ? this.timing.tickSeconds : this.timing.idleSeconds;
    let blocked: CampaignState | null = null;
    let free = this.plan.settings.maxConcurrent - active.filter((d) => workingStates.has(d.state)).length;
    const rate = this.plan.settings.ratePerMinute;
    let allowance = rate === null ? Infinity : rate - this.starts.length;
    // What needs the wave's turn: activations, and (without staging) runs.
    const turnWork = toActivate.length > 0 || (!staging && pending.length > 0);
    if (this.control === 'running' && turnWork) {
      if (this.awaitsApproval()) blocked = 'awaitingApproval';
      else if (this.retryAfter !== null && now < this.retryAfter) waitSeconds = Math.min(waitSeconds, (this.retryAfter - now) / 1000);
      else if (!window.open) {
        blocked = 'waitingWindow';
        waitSeconds = Math.min(waitSeconds, this.timing.windowRecheckSeconds, Math.max(0.05, window.untilOpenMs / 1000));
      } else {
        // Inside the window, activations come first: the window is the scarce part of the night.
        const activations = toActivate.slice(0, Math.max(0, Math.min(free, allowance)));
        for (const d of activations) this.activationSent.set(d.runId!, now);
        result.activate = activations.map((d) => d.runId!);
        free -= activations.length;
        allowance -= activations.length;
        if (activations.length > 0) waitSeconds = this.timing.tickSeconds;
      }
    }
    const mayStart = this.control === 'running' && !(this.retryAfter !== null && now < this.retryAfter) && (staging || !blocked);
    if (mayStart && pending.length > 0) {
      const count = Math.max(0, Math.min(free, allowance, pending.length));
      result.start = pending.slice(0, count).map((d) => ({ deviceId: d.deviceId, attempt: d.attempts + 1 }));
      if (count > 0) waitSeconds = this.timing.tickSeconds;
      else if (allowance <= 0 && free > 0) waitSeconds = Math.min(waitSeconds, Math.max(0.05, (this.starts[0]! + 60_000 - now) / 1000));
    }
    this.publishState(blocked);
    result.waitSeconds = Math.max(0.05, waitSeconds);
    return result;
  }

  /** What changed since the last call, for the store and live displays; clears it. */
  drain(): { events: CampaignEventDraft[]; devices: CampaignDevice[]; stagesChanged: boolean } {
    const drained = { events: this.events, devices: [...this.changed].map((id) => ({ ...this.byId.get(id)! })), stagesChanged: this.stageChanged };
    this.events = [];
    this.changed = new Set();
    this.stageChanged = false;
    return drained;
  }

  snapshot(): SchedulerSnapshot {
    const stage = this.finished ? null : (this.stages[this.stageIndex] ?? null);
    return {
      state: this.state,
      stage,
      stages: this.stages.map((s) => ({ ...s })),
      pauseCause: this.control === 'paused' ? this.pauseCause : null,
      counters: countDevices(this.devices),
      stageCounters: stage ? countDevices(this.stageDevices()) : null,
    };
  }

  private failures(stageIndex: number): number {
    return this.devices.filter((d) => d.stage === stageIndex && failureStates.has(d.state)).length;
  }

  private stageDevices(): CampaignDevice[] {
    return this.devices.filter((d) => d.stage === this.stageIndex);
  }

  private awaitsApproval(): boolean {
    const stage = this.stages[this.stageIndex];
    return this.plan.settings.approval && stage !== undefined && stage.kind === 'wave' && stage.index > 0 && this.approvedStage < stage.index && !this.finished;
  }

  private attemptsLeft(device: CampaignDevice): number {
    return this.plan.settings.offlineAttempts - device.attempts;
  }

  private advance(now: number): void {
    const done = this.stages[this.stageIndex];
    if (done)
      this.event('waveCompleted', 'manager', 'stageEnded', `${describeStage(done)} ended`, { stage: done.index, counters: countDevices(this.stageDevices()) });
    const next = this.stageIndex + 1;
    if (next < this.stages.length) {
      this.stageIndex = next;
      this.stageChanged = true;
      const stage = this.stages[next]!;
      this.event(
        'waveStarted',
        'manager',
        'wave',
        `${describeStage(stage)} of ${this.plan.waves.length} (${stage.size} device(s))${this.awaitsApproval() ? ': awaits approval' : ''}`,
        { wave: stage.number },
      );
      return;
    }
    const retry = this.devices.filter((d) => retriedStates.has(d.state) && this.attemptsLeft(d) > 0);
    if (retry.length === 0) {
      this.finish('completed', now);
      return;
    }
    const round = this.stages.filter((s) => s.kind === 'retry').length + 1;
    const stage: Stage = {
      index: next,
      kind: 'retry',
      number: round,
      size: retry.length,
      pauseAt: failuresThatPause(this.plan.settings.threshold, retry.length),
    };
    this.stages.push(stage);
    this.stageIndex = next;
    this.stageChanged = true;
    this.retryAfter = now + this.plan.settings.retryDelaySeconds * 1000;
    for (const d of retry) this.setDevice(d, { state: 'pending', stage: next });
    this.event(
      'retryRound',
      'policy',
      'offlineRetry',
      `${describeStage(stage)}: ${retry.length} device(s) that were offline or busy are tried again in ${this.plan.settings.retryDelaySeconds} s`,
      {
        devices: retry.map((d) => d.deviceId),
      },
    );
  }

  private finish(how: 'completed' | 'aborted', now: number): void {
    for (const d of this.devices) {
      if (d.state === 'pending') this.setDevice(d, { state: 'notStarted', cause: 'campaignAborted', message: 'the campaign was aborted before its turn' });
      else if (d.state === 'offline')
        this.setDevice(d, {
          state: 'unreachable',
          message: how === 'aborted' ? 'offline; not tried again: the campaign was aborted' : `did not answer in ${d.attempts} attempt(s)`,
        });
    }
    this.finished = how;
    this.stageChanged = true;
    if (how === 'completed') this.reason = { cause: 'allWavesDone', actor: 'manager' };
    const counters = countDevices(this.devices);
    const upgraded = counters.verified + counters.recovered;
    this.event(
      how,
      how === 'aborted' ? this.reason.actor : 'manager',
      how,
      `campaign ${how}: ${upgraded} upgraded, ${counters.failed} failed, ${counters.unreachable} unreachable, ${counters.busy} busy, ${counters.skipped} skipped, ${counters.notStarted} not started`,
      {
        counters,
        at: now,
      },
    );
  }

  private publishState(blocked: CampaignState | null = null): void {
    const next: CampaignState = this.finished ?? (this.control === 'aborting' ? 'aborting' : this.control === 'paused' ? 'paused' : (blocked ?? 'running'));
    if (next === this.state) return;
    const reason =
      // An operator's resume stays the operator's, whatever the campaign goes back to (a wave that
      // awaits approval, a closed window): the audit names who resumed it.
      this.state === 'paused' && this.reason.cause === 'resumedByOperator'
        ? this.reason
        : next === 'waitingWindow'
          ? { cause: 'outsideWindow', actor: 'policy' as Actor }
          : next === 'awaitingApproval'
            ? { cause: 'approvalGate', actor: 'policy' as Actor }
            : next === 'running' && (this.state === 'waitingWindow' || this.state === 'awaitingApproval') && this.reason.cause !== 'approved'
              ? { cause: this.state === 'waitingWindow' ? 'windowOpened' : 'approved', actor: 'policy' as Actor }
              : this.reason;
    this.event('stateChanged', reason.actor, reason.cause, `${this.state} -> ${next}`, { from: this.state, to: next });
    this.state = next;
    this.reason = { cause: 'scheduler', actor: 'manager' };
  }

  private setDevice(device: CampaignDevice, change: Partial<CampaignDevice>): void {
    Object.assign(device, change);
    this.changed.add(device.deviceId);
  }

  private event(kind: string, actor: Actor, cause: string | null, message: string, detail?: Record<string, unknown>): void {
    this.events.push({ kind, actor, cause, message, ...(detail ? { detail } : {}) });
  }
}

export function describeStage(stage: Pick<Stage, 'kind' | 'number'>): string {
  return stage.kind === 'wave' ? `wave ${stage.number}` : `retry round ${stage.number}`;
}
