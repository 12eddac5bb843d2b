// Per-device mode of the fleet benchmark: one run per device, started by one POST /api/runs/batch for
// the whole fleet (as `safeflash upgrade` does) or by one POST /api/runs per device, `startWidth` at a
// time; polled by state until none is running or waiting. Reports devices per minute (first run started
// -> last run final), outcomes, run time percentiles, time per phase.
import { setTimeout as sleep } from 'node:timers/promises';
import { finalStates, inParallel, type DeviceJson, type ManagerApi, type RunDetailJson, type RunJson } from './api.ts';
import type { BenchMode, ModeContext, ModeReport } from './mode.ts';
import { countBy, percentileOf, seconds } from './mode.ts';
import { eventCounts, phaseDurations } from './timelines.ts';

export interface RunModeOptions {
  /** POST /api/runs calls in flight at once while starting the runs one by one. */
  startWidth: number;
  /** One request for every device (batch), or one per device (each). */
  start: 'batch' | 'each';
}

const policy = Object.fromEntries(['preflight', 'backup', 'upgrade', 'migrate', 'restore'].map((phase) => [phase, { then: 'abort' }]));

/** Polls until no run is running or waiting any more; true when the limit passed first. */
async function awaitRuns(context: ModeContext, ids: Set<string>, startedAt: number): Promise<boolean> {
  const { api, devices, limitSeconds, note } = context;
  const deadline = startedAt + limitSeconds * 1000;
  let lastReport = 0;
  for (;;) {
    const unfinished = [...(await api.runsIn('running')), ...(await api.runsIn('waiting'))].filter((r) => ids.has(r.id));
    if (Date.now() - lastReport >= 15_000) {
      lastReport = Date.now();
      // Each list holds at most 100 runs: a count of 100 means "100 or more".
      note(
        `${seconds(Date.now() - startedAt)} s: unfinished runs by state/phase (lists capped at 100) ${JSON.stringify(countBy(unfinished, (r) => `${r.state}/${r.phase}`))}`,
      );
    }
    if (unfinished.length === 0) return false;
    if (Date.now() >= deadline) return true;
    await sleep(devices.length > 200 ? 3000 : 1000);
  }
}

async function startRuns(api: ManagerApi, found: DeviceJson[], imageSha256: string, options: RunModeOptions): Promise<{ ids: Set<string>; refused: string[] }> {
  const ids = new Set<string>();
  const refused: string[] = [];
  if (options.start === 'batch') {
    const batch = await api.call<{ runs: RunJson[]; refused: Array<{ device: string; error: string }> }>('POST', '/api/runs/batch', {
      json: { devices: found.map((device) => String(device.id)), image: imageSha256, policy, operator: 'bench' },
      timeoutMs: 60_000 + 100 * found.length,
    });
    for (const run of batch.runs) ids.add(run.id);
    for (const { device, error } of batch.refused) refused.push(`device ${device}: ${error}`);
    return { ids, refused };
  }
  await inParallel(found, options.startWidth, async (device) => {
    try {
      const run = await api.call<RunJson>('POST', '/api/runs', { json: { device: String(device.id), image: imageSha256, policy, operator: 'bench' } });
      ids.add(run.id);
    } catch (error) {
      refused.push(`${device.name}: ${(error as Error).message}`);
    }
  });
  return { ids, refused };
}

export function runMode(context: ModeContext, options: RunModeOptions): BenchMode {
  const { api, devices, note } = context;
  let ids = new Set<string>();
  let refused: string[] = [];
  let firstPost = 0;
  let lastPost = 0;
  let gaveUp = false;

  return {
    async run() {
      firstPost = Date.now();
      ({ ids, refused } = await startRuns(api, devices, context.image.sha256, options));
      lastPost = Date.now();
      note(`${ids.size} runs started in ${seconds(lastPost - firstPost)} s${refused.length ? `; ${refused.length} refused, first: ${refused[0]}` : ''}`);
      gaveUp = await awaitRuns(context, ids, firstPost);
    },

    async report(): Promise<ModeReport> {
      // Read after the measurement: a thousand timelines are work for the manager that no upgrade needs.
      const details: RunDetailJson[] = [];
      await inParallel([...ids], 8, async (id) => {
        details.push(await api.runDetail(id));
      });
      const runs = details.map((d) => d.run);
      const created = runs.map((r) => Date.parse(r.createdAt));
      const finals = runs.filter((r) => finalStates.has(r.state));
      const ended = finals.map((r) => Date.parse(r.updatedAt));
      const spanMs = finals.length > 0 ? Math.max(...ended) - Math.min(...created) : NaN;
      const durations = finals.map((r) => Date.parse(r.updatedAt) - Date.parse(r.createdAt)).sort((a, b) => a - b);
      const pct = (p: number) => (durations.length ? seconds(percentileOf(durations, p)) : '-');
      const states = countBy(runs, (r) => r.state);
      const failures = countBy(
        finals.filter((r) => r.state !== 'verified'),
        (r) => (r.outcome?.summary ?? '').slice(0, 120),
      );
      const lines: string[] = [];
      if (gaveUp)
        lines.push(
          `GAVE UP after the ${context.limitSeconds} s limit: ${runs.length - finals.length} of ${runs.length} runs not final (${JSON.stringify(
            countBy(
              runs.filter((r) => !finalStates.has(r.state)),
              (r) => `${r.state}/${r.phase}`,
            ),
          )})`,
        );
      lines.push(
        `end to end: ${(finals.length / (spanMs / 60_000)).toFixed(1)} devices/minute (${finals.length} final runs, first run started -> last run final ${seconds(spanMs)} s; starting all ${runs.length} runs took ${seconds(lastPost - firstPost)} s)`,
      );
      lines.push(
        `runs: ${states.verified ?? 0} verified, ${finals.length - (states.verified ?? 0)} failed/rolled back/aborted ${JSON.stringify(states)}; run time p50 ${pct(0.5)} s, p90 ${pct(0.9)} s, max ${pct(1)} s`,
      );
      for (const [summary, count] of Object.entries(failures)) lines.push(`  ${count} x ${summary}`);
      lines.push(`time per phase: ${phaseDurations(details).join('; ')}`);
      lines.push(`operations and retries: ${JSON.stringify(eventCounts(details))}`);
      if (refused.length) lines.push(`${refused.length} runs refused at start; first: ${refused[0]}`);
      const how = options.start === 'batch' ? 'one POST /api/runs/batch for every device' : `POST /api/runs per device, ${options.startWidth} at a time`;
      return { setup: `one run per device, started by ${how}; policy: default retries, then abort`, lines, ok: !gaveUp && refused.length === 0 };
    },
  };
}
