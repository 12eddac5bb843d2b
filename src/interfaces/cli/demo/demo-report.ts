// The demo's summary: one row per device from its run's record and timeline, checked against what
// the device itself reports.
import type { Fleet } from '../../../agent/fleet.ts';
import { runCounts } from '../../../manager/procedure/run-counts.ts';
import type { RunEvent, RunRecord } from '../../../manager/store/records.ts';

export interface DemoRow {
  device: string;
  family: string;
  result: string;
  phases: string;
  retries: number;
  reverts: number;
  migration: string;
  seconds: number;
  /** The device's own running version and configuration digest are the ones the run reports. */
  deviceAgrees: boolean;
}

export function demoRow(run: RunRecord, timeline: RunEvent[], deviceName: string, fleet: Fleet): DemoRow {
  const succeeded = [...new Set(timeline.filter((e) => e.kind === 'phaseSucceeded').map((e) => e.phase))];
  const migration = timeline.find((e) => e.kind === 'migration');
  const member = fleet.members.find((m) => m.address === deviceName);
  const status = member?.device.answering ? member.device.status() : undefined;
  const outcome = run.outcome;
  const { retries, reverts } = runCounts(timeline);
  return {
    device: deviceName,
    family: member?.family ?? '',
    result: outcome ? (outcome.state === 'verified' ? 'verified' : `${outcome.state}: ${outcome.summary}`) : run.state,
    phases: succeeded.join(' '),
    retries,
    reverts,
    migration: migration ? `format ${String(migration.detail.fromFormat)} to ${String(migration.detail.toFormat)}` : '',
    seconds: (run.updatedAt.getTime() - run.createdAt.getTime()) / 1000,
    deviceAgrees:
      outcome !== null &&
      status !== undefined &&
      status.runningVersion === outcome.runningVersion &&
      // A family that keeps no configuration reports none: its version is what the run can agree on.
      (outcome.configDigest === null || status.configDigest.toString('hex') === outcome.configDigest),
  };
}

export function demoTable(rows: DemoRow[]): string {
  const cells = [
    ['device', 'family', 'result', 'phases', 'retries', 'reverts', 'migration', 'time', 'device agrees'],
    ...rows.map((r) => [
      r.device,
      r.family,
      r.result,
      r.phases,
      String(r.retries),
      String(r.reverts),
      r.migration,
      `${r.seconds.toFixed(1)} s`,
      r.deviceAgrees ? 'yes' : 'NO',
    ]),
  ];
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
