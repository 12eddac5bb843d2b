// Campaign mode of the fleet benchmark: ONE campaign over every device through POST /api/campaigns
// (waves, at most `maxConcurrent` runs at once, a failure threshold, policy then=abort), followed
// until it is final (completed or aborted) or paused by its threshold, or the time limit passes.
// While it runs, the campaign page (GET /api/campaigns/:id: a row per device, as the dashboard shows
// it) is asked every second and timed. Reports devices per minute end to end and per wave, outcomes,
// how many runs were under way at once, run times and the page's latency and size.
import { setTimeout as sleep } from 'node:timers/promises';
import { finalStates, inParallel, type CampaignDetailJson, type ManagerApi, type RunDetailJson } from './api.ts';
import { benchModel } from './bed.ts';
import type { BenchMode, ModeContext, ModeReport } from './mode.ts';
import { countBy, percentileOf, seconds } from './mode.ts';
import { pageCost, PageSampler } from './page-sampler.ts';
import { type Interval, runSpanLine } from './run-spans.ts';
import { eventCounts, phaseDurations } from './timelines.ts';

export interface CampaignModeOptions {
  waves: string;
  maxConcurrent: number;
  threshold: string;
  /** Pause before a round of retries of devices that were offline or busy. */
  retryDelaySeconds: number;
}

type Detail = CampaignDetailJson;
type CampaignJson = Detail['campaign'];

const finalCampaignStates = new Set(['completed', 'aborted']);
const activeDeviceStates = ['running', 'waiting'];
const endedDeviceStates = new Set(['verified', 'recovered', 'failed', 'unreachable', 'skipped', 'notStarted']);
const policy = Object.fromEntries(['preflight', 'backup', 'upgrade', 'migrate', 'restore'].map((phase) => [phase, { then: 'abort' }]));

/** Final, or paused by its failure threshold: nothing more happens without an operator. */
function settled(campaign: CampaignJson): boolean {
  return finalCampaignStates.has(campaign.state) || (campaign.state === 'paused' && campaign.pauseCause === 'threshold');
}

const active = (counters: Record<string, number>) => activeDeviceStates.reduce((sum, s) => sum + (counters[s] ?? 0), 0);

/**
 * Each stage's span from its devices' rows: the campaign clock when it started the first of them to
 * when it saw the last of them end. (Its events are written after a tick's runs are all started, so
 * their times come late by however long starting took.) A device retried in a later round counts there.
 */
function stageLines(detail: Detail): string[] {
  return detail.campaign.stages.map((stage) => {
    const rows = detail.devices.filter((d) => d.stage === stage.index && d.startedAt);
    const name = `${stage.kind} ${stage.number} (${stage.size} devices)`;
    if (rows.length === 0) return `${name}: not started`;
    const from = Math.min(...rows.map((d) => Date.parse(d.startedAt!)));
    const ended = rows.filter((d) => endedDeviceStates.has(d.state));
    const to = Math.max(...ended.map((d) => Date.parse(d.updatedAt)));
    const unfinished = rows.length - ended.length;
    return `${name}: ${seconds(to - from)} s, ${(ended.length / ((to - from) / 60_000)).toFixed(1)} devices/minute${unfinished ? ` (${unfinished} not ended)` : ''}`;
  });
}

/** Each stage's span from the campaign starting its first device to starting its last: it had devices left to start. */
function fillingSpans(detail: Detail): Interval[] {
  return detail.campaign.stages.flatMap((stage) => {
    const starts = detail.devices.filter((d) => d.stage === stage.index && d.startedAt).map((d) => Date.parse(d.startedAt!));
    return starts.length > 1 ? [{ from: Math.min(...starts), to: Math.max(...starts) }] : [];
  });
}

/** How many runs the report reads in full (timelines), spread evenly over the campaign's devices. */
const runSample = 100;

/**
 * A sample of the campaign's runs read in full after the measurement: how long after the campaign
 * decided to start a run its row was made (the workflow starts a tick's runs one after the other),
 * how long the run itself took, and its phases.
 */
async function runSampleLines(api: ManagerApi, detail: Detail): Promise<string[]> {
  const withRuns = detail.devices.filter((d) => d.runId && d.startedAt);
  const step = Math.max(1, Math.floor(withRuns.length / runSample));
  const picked = withRuns.filter((_, i) => i % step === 0).slice(0, runSample);
  const runs: Array<{ device: Detail['devices'][number]; run: RunDetailJson }> = [];
  await inParallel(picked, 8, async (device) => {
    runs.push({ device, run: await api.runDetail(device.runId!) });
  });
  if (runs.length === 0) return [];
  const sorted = (values: number[]) => values.sort((a, b) => a - b);
  const lag = sorted(runs.map(({ device, run }) => Date.parse(run.run.createdAt) - Date.parse(device.startedAt!)));
  const runTime = sorted(
    runs.filter(({ run }) => finalStates.has(run.run.state)).map(({ run }) => Date.parse(run.run.updatedAt) - Date.parse(run.run.createdAt)),
  );
  const spread = (values: number[]) =>
    values.length ? `p50 ${seconds(percentileOf(values, 0.5))} s, p90 ${seconds(percentileOf(values, 0.9))} s, max ${seconds(values.at(-1)!)} s` : '-';
  const details = runs.map(({ run }) => run);
  return [
    `sample of ${runs.length} runs: campaign decided to start -> run created ${spread(lag)}; run created -> final ${spread(runTime)}`,
    `  time per phase: ${phaseDurations(details).join('; ')}`,
    `  operations and retries: ${JSON.stringify(eventCounts(details))}`,
  ];
}

/** The page an operator's dashboard asks for: the campaign, its counters, one page of devices, its latest events. */
const pagedPath = (campaignId: string) => `/api/campaigns/${encodeURIComponent(campaignId)}?limit=100&events=100`;
/**
 * Timed right after each page: the token the request was made with, which the manager answers from its
 * memory (a token is read from the database at most every few seconds, its use written once a minute).
 */
const baselinePath = '/api/tokens/current';

export function campaignMode(context: ModeContext, options: CampaignModeOptions): BenchMode {
  const { api, devices, note, limitSeconds } = context;
  let campaignId = '';
  let createMs = 0;
  let page: PageSampler<Detail> | undefined;
  let last: Detail | undefined;
  let gaveUp = false;
  /** Runs under way at each page sample taken while the campaign ran. */
  const underWay: number[] = [];
  let eventLoop = '';

  return {
    async run() {
      const body = {
        name: `bench ${devices.length} devices`,
        image: context.image.sha256,
        model: benchModel,
        waves: options.waves,
        maxConcurrent: options.maxConcurrent,
        threshold: options.threshold,
        retryDelaySeconds: options.retryDelaySeconds,
        policy,
        operator: 'bench',
      };
      await api.eventLoopDelay(); // from here on
      const posted = Date.now();
      const created = await api.call<CampaignJson>('POST', '/api/campaigns', { json: body, timeoutMs: 600_000 });
      createMs = Date.now() - posted;
      campaignId = created.id;
      note(`campaign ${campaignId} created in ${seconds(createMs)} s: ${created.stages.map((s) => s.size).join(', ')} devices per wave`);

      page = new PageSampler<Detail>(api, pagedPath(campaignId), 1000, 60_000, baselinePath);
      page.start();
      const deadline = posted + limitSeconds * 1000;
      let seen: Detail | undefined;
      let lastNote = Date.now();
      for (;;) {
        await sleep(1000);
        const latest = page.latest;
        if (latest && latest !== seen) {
          seen = latest;
          underWay.push(active(latest.campaign.counters));
        }
        if (Date.now() - lastNote >= 15_000 && seen) {
          lastNote = Date.now();
          const c = seen.campaign;
          const lastMs = page.samples.at(-1)?.ms ?? NaN;
          note(
            `${seconds(Date.now() - posted)} s: ${c.state}, ${c.stage ? `${c.stage.kind} ${c.stage.number}` : 'no stage'}; ${JSON.stringify(Object.fromEntries(Object.entries(c.counters).filter(([, n]) => n > 0)))}; page ${lastMs.toFixed(0)} ms`,
          );
        }
        if (seen && settled(seen.campaign)) break;
        if (Date.now() >= deadline) {
          gaveUp = true;
          break;
        }
      }
      eventLoop = await api.eventLoopDelay();
      await page.stop();
    },

    async report(): Promise<ModeReport> {
      last = await api.call<Detail>('GET', `/api/campaigns/${encodeURIComponent(campaignId)}`, { timeoutMs: 120_000 });
      const { campaign } = last;
      const counters = Object.fromEntries(Object.entries(campaign.counters).filter(([, n]) => n > 0));
      const ended = last.devices.filter((d) => endedDeviceStates.has(d.state) && d.state !== 'skipped');
      const finalEvent = [...last.events].reverse().find((e) => finalCampaignStates.has(e.kind));
      const startMs = Date.parse(campaign.createdAt);
      const endMs = finalEvent ? Date.parse(finalEvent.at) : Math.max(...ended.map((d) => Date.parse(d.updatedAt)));
      const spanMs = endMs - startMs;
      const runTimes = ended
        .filter((d) => d.startedAt)
        .map((d) => Date.parse(d.updatedAt) - Date.parse(d.startedAt!))
        .sort((a, b) => a - b);
      const pct = (p: number) => (runTimes.length ? seconds(percentileOf(runTimes, p)) : '-');
      const firstStart = Math.min(...last.devices.filter((d) => d.startedAt).map((d) => Date.parse(d.startedAt!)));
      const sortedUnderWay = [...underWay].sort((a, b) => a - b);
      const failures = countBy(
        last.devices.filter((d) => !['verified', 'skipped', 'pending', 'running', 'waiting'].includes(d.state)),
        (d) => `${d.state}: ${d.cause ?? ''} ${(d.message ?? '').slice(0, 100)}`,
      );
      const upgraded = (campaign.counters.verified ?? 0) + (campaign.counters.recovered ?? 0);

      const lines: string[] = [];
      if (gaveUp) lines.push(`GAVE UP after the ${limitSeconds} s limit: the campaign is ${campaign.state}, ${JSON.stringify(counters)}`);
      if (campaign.state === 'paused')
        lines.push(`PAUSED by its failure threshold (${options.threshold} of a wave): the figures cover the campaign up to there`);
      lines.push(
        `end to end: ${(ended.length / (spanMs / 60_000)).toFixed(1)} devices/minute (${ended.length} devices ended, campaign created -> ${finalEvent ? `${finalEvent.kind}` : 'last device ended'} ${seconds(spanMs)} s; POST /api/campaigns answered in ${seconds(createMs)} s, first run started ${seconds(firstStart - startMs)} s after creation)`,
      );
      lines.push(
        `campaign ${campaign.state}: ${upgraded} upgraded (${campaign.counters.verified ?? 0} verified, ${campaign.counters.recovered ?? 0} recovered after a failure), ${ended.length - upgraded} not upgraded; devices by state ${JSON.stringify(counters)}`,
      );
      for (const [failure, count] of Object.entries(failures)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 10))
        lines.push(`  ${count} x ${failure}`);
      lines.push(`waves: ${stageLines(last).join('; ')}`);
      lines.push(
        `runs under way at once as the campaign page showed them (its counters change when the campaign saves): median ${sortedUnderWay.length ? percentileOf(sortedUnderWay, 0.5) : '-'}, max ${sortedUnderWay.at(-1) ?? '-'} of at most ${options.maxConcurrent}`,
      );
      lines.push(`device time (campaign decided to start its run -> campaign saw the run end): p50 ${pct(0.5)} s, p90 ${pct(0.9)} s, max ${pct(1)} s`);
      if (context.database) lines.push(runSpanLine(await context.database.runSpans(`${campaignId}-`), options.maxConcurrent, fillingSpans(last)));
      lines.push(...(await runSampleLines(api, last)));
      const pagePath = pagedPath(campaignId);
      lines.push(
        `campaign page GET ${pagePath} (100 of ${last.devices.length} device rows, the latest 100 of ${last.events.length} events, every counter) every second while it ran: ${page!.describe()}`,
      );
      const baseline = page!.describeBaseline();
      if (baseline) lines.push(`  GET ${baselinePath} (passed on by the front; the manager answers it from memory), asked right after each page: ${baseline}`);
      lines.push(`  cost: ${await pageCost(api, pagePath, context.managerCpuSeconds, 20)}`);
      lines.push(`  the manager's event-loop delay while the campaign ran (how late a 10 ms timer fired; a request waits as long): ${eventLoop}`);
      return {
        setup: `one campaign over every device through POST /api/campaigns: waves ${options.waves}, maxConcurrent ${options.maxConcurrent}, threshold ${options.threshold}, retry delay ${options.retryDelaySeconds} s, policy then=abort`,
        lines,
        ok: !gaveUp && campaign.state === 'completed' && page!.failures.length === 0,
      };
    },
  };
}
