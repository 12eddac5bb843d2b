// The demo itself, loaded only when `safeflash demo` runs: it starts a fleet and a manager in this process.
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { finalCampaignStates } from '../../../manager/campaigns/model.ts';
import { demoFaults, firstOfOtherFamilies, otherFamilyFault, startDemoWorld } from './demo-world.ts';
import { type FamilyShare, fleetFamilies } from '../family-options.ts';
import type { ImageRecord } from '../../../manager/store/records.ts';
import { demoRow, demoTable } from './demo-report.ts';
import { CommandFailure, ExitCode } from '../program.ts';

export interface DemoOptions {
  devices: number;
  families?: FamilyShare[];
  dataDir: string;
  baseAddress: string;
  snmpPort: number;
  rebootMs: number;
  databasePort?: number;
  keepRunning?: boolean;
}

const newVersion = '2.0.0';
const newConfigFormat = 2;
/** The demo never waits for an operator: a run whose retries are spent rolls the device back instead. */
const demoPolicy = {
  backup: { retries: 2, backoffSeconds: 1, then: 'abort' },
  upgrade: { retries: 2, backoffSeconds: 1, then: 'abort' },
  migrate: { retries: 0, backoffSeconds: 1, then: 'abort' },
  restore: { retries: 2, backoffSeconds: 1, then: 'abort' },
} as const;
/** Bounded: a demo that has not finished by then reports what it has. */
const demoLimitMs = 10 * 60_000;
/** Cumulative shares of the fleet: a first small wave, then half, then everyone. */
const demoWaves = '10%,50%,100%';

/**
 * One device in six of each vendor family (Huawei VRP, Cisco IOS, DOCSIS), at the end of the fleet, so
 * that the IADs keep the numbers their faults are shown with.
 */
function defaultMix(devices: number): FamilyShare[] {
  const each = Math.floor(devices / 6);
  const vendors = (['huawei', 'cisco-ios', 'docsis'] as const).map((family) => ({ family, devices: each }));
  return [{ family: 'safeflash', devices: devices - 3 * each }, ...(each > 0 ? vendors : [])];
}

export async function demo(options: DemoOptions): Promise<void> {
  const say = (text: string) => process.stdout.write(`${text}\n`);
  const started = Date.now();
  const stamp = () => `[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s]`;
  // Each demo starts from factory-new devices in a directory of its own; earlier demos are left as they were.
  const directory = resolve(options.dataDir, `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`);

  const families = options.families ?? defaultMix(options.devices);
  const members = fleetFamilies(families);
  say(
    `Safeflash demo: ${members.length} virtual devices (${families.map((f) => `${f.devices} ${f.family}`).join(', ')}) from ${options.baseAddress}, everything in ${directory}`,
  );
  for (const [n, fault] of Object.entries(demoFaults)) {
    if (members[Number(n) - 1] === 'safeflash') say(`  device ${n}: ${fault.flags.join(' ')} — ${fault.shows}`);
  }
  for (const n of firstOfOtherFamilies(members)) say(`  device ${n} (${members[n - 1]}): ${otherFamilyFault.flags.join(' ')} — ${otherFamilyFault.shows}`);
  const world = await startDemoWorld({
    families,
    baseAddress: options.baseAddress,
    snmpPort: options.snmpPort,
    directory,
    rebootMs: options.rebootMs,
    newVersion,
    newConfigFormat,
    ...(options.databasePort ? { databasePort: options.databasePort } : {}),
  }).catch((error: Error) => {
    throw new CommandFailure(`cannot start the demo: ${error.message}`);
  });

  try {
    const { manager, images } = world;
    const [image] = images as [ImageRecord, ...ImageRecord[]];
    say(
      `${stamp()} manager up at ${manager.url} (log: ${world.logFile}); images ${images.map((i) => `${i.model} ${i.version}`).join(', ')}; the new software wants configuration format ${image.configFormat}`,
    );
    say(
      `${stamp()} the API and dashboard need a token: the operator token is in ${manager.operatorTokenFile} (e.g. curl -H "Authorization: Bearer $(cat ${manager.operatorTokenFile})" ${manager.url}/api/devices)`,
    );
    const campaign = await manager.campaigns.create(
      {
        name: 'demo',
        image: image.sha256,
        ...(images.length > 1 ? { images: images.slice(1).map((i) => i.sha256) } : {}),
        devices: world.devices.map((d) => d.name),
        waves: demoWaves,
        maxConcurrent: 8,
        threshold: '60%',
        policy: demoPolicy,
      },
      'operator:demo',
    );
    say(`${stamp()} campaign ${campaign.id}: waves ${demoWaves}, at most 8 runs at once`);
    say(`${stamp()} watch it live: ${manager.url}/ (token in ${manager.operatorTokenFile})`);

    // Live progress: every new line of every run's timeline, as it is recorded.
    const seen = new Set<number>();
    let wave: number | undefined;
    let detail = await manager.campaigns.detail(campaign.id);
    while (!finalCampaignStates.includes(detail.campaign.state) && Date.now() - started < demoLimitMs) {
      const stage = detail.campaign.stage;
      if (stage && stage.index !== wave) {
        wave = stage.index;
        say(`${stamp()} ${stage.kind === 'wave' ? 'wave' : 'retry round'} ${stage.number}: ${stage.size} devices`);
      }
      for (const device of detail.devices) {
        if (!device.runId) continue;
        // By id, not by position: events of concurrent steps can commit out of order.
        for (const event of await manager.procedure.runs.timeline(device.runId)) {
          if (seen.has(event.id)) continue;
          seen.add(event.id);
          say(`${stamp()} ${device.name.padEnd(15)} ${event.phase.padEnd(9)} ${event.message}`);
        }
      }
      if (detail.campaign.state === 'paused') {
        // A real operator looks first; the demo says what happened and carries on.
        say(
          `${stamp()} the campaign paused (${detail.campaign.pauseCause ?? 'no cause'}): a wave reached its failure threshold, recovered runs included; the demo resumes it`,
        );
        await manager.campaigns.resume(campaign.id, 'operator:demo');
      }
      await sleep(500);
      detail = await manager.campaigns.detail(campaign.id);
    }
    const runs = new Map(detail.devices.flatMap((d) => (d.runId ? [[d.runId, { device: d.name }] as const] : [])));
    const rows = [];
    for (const [runId, view] of runs) {
      const run = await manager.procedure.runs.get(runId);
      if (run) rows.push(demoRow(run, await manager.procedure.runs.timeline(runId), view.device, world.fleet));
    }
    rows.sort((a, b) => a.device.localeCompare(b.device, undefined, { numeric: true }));
    const verified = rows.filter((r) => r.result === 'verified' && r.deviceAgrees).length;
    say('');
    say(demoTable(rows));
    say('');
    say(
      `campaign ${detail.campaign.state}: ${Object.entries(detail.campaign.counters)
        .filter(([, n]) => n > 0)
        .map(([state, n]) => `${n} ${state}`)
        .join(', ')}`,
    );
    say(
      `${verified} of ${world.devices.length} devices verified on ${newVersion}, each configuration a family keeps migrated to format ${newConfigFormat}, in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    if (verified !== world.devices.length) process.exitCode = ExitCode.failure;

    if (options.keepRunning) {
      say(`the manager and the fleet keep running at ${manager.url}; stop with Ctrl-C`);
      await new Promise((done) => {
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
    }
  } finally {
    await world.stop();
  }
}
