// `safeflash runs list|show|diff|follow|cancel`: what every run did, phase by phase, with who decided what and
// when; following runs started elsewhere, and stopping runs that should not go on.
import { Option, type Command } from 'commander';
import { ApiClient, serverOption, withManager } from './api-client.ts';
import { runStates } from '../../manager/store/records.ts';
import type { CheckReport, CheckRound } from '../../manager/procedure/checks.ts';
import type { RunConfigurations } from '../../manager/run-configurations.ts';
import type { DiffLine } from '../../common/line-diff.ts';
import type { RunDetailJson, RunEventJson, RunJson } from './api-types.ts';
import { operatorName, operatorOption } from './operator-name.ts';
import { CommandFailure, UsageFailure } from './program.ts';
import { registerRunsFollowCommand } from './runs-follow-command.ts';
import { formatTable, printJson, shortSha, when } from './table.ts';
import { viewCommand } from './view-command.ts';

function seconds(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function runTable(runs: RunJson[], deviceNames: Map<number, string>): string {
  return formatTable(
    ['RUN', 'KIND', 'DEVICE', 'IMAGE', 'STATE', 'PHASE', 'STARTED', 'BY', 'TOOK'],
    runs.map((r) => [
      r.id,
      r.kind ?? 'upgrade',
      deviceNames.get(r.deviceId) ?? String(r.deviceId),
      shortSha(r.imageSha256),
      r.state,
      r.phase,
      when(r.createdAt),
      r.startedBy,
      seconds(Date.parse(r.updatedAt) - Date.parse(r.createdAt)),
    ]),
  );
}

/** How long each phase took: a phaseSucceeded or phaseFailed line says since its phaseStarted. */
function timings(timeline: RunEventJson[]): Map<number, number> {
  const took = new Map<number, number>();
  const started = new Map<string, number>();
  for (const event of timeline) {
    const at = Date.parse(event.at);
    if (event.kind === 'phaseStarted') started.set(event.phase, at);
    else if ((event.kind === 'phaseSucceeded' || event.kind === 'phaseFailed') && started.has(event.phase)) took.set(event.id, at - started.get(event.phase)!);
  }
  return took;
}

/** Every image the upgrade's attempts used, in order, each once (the run's image is the last). */
export function imagesTried(timeline: RunEventJson[]): Array<{ sha256: string; version: string }> {
  const tried = new Map<string, { sha256: string; version: string }>();
  for (const event of timeline) {
    const image = event.kind === 'phaseStarted' ? (event.detail.image as { sha256?: unknown; version?: unknown } | undefined) : undefined;
    if (typeof image?.sha256 === 'string' && typeof image.version === 'string' && !tried.has(image.sha256))
      tried.set(image.sha256, { sha256: image.sha256, version: image.version });
  }
  return [...tried.values()];
}

const roundTitles: Record<CheckRound, string> = { beforeChanges: 'BEFORE CHANGES', beforeActivation: 'BEFORE ACTIVATION', afterUpgrade: 'AFTER UPGRADE' };

/** A row per check, a column per round: the verdict, and why where it is not a pass. */
function checksTable(report: CheckReport): string {
  return formatTable(
    ['CHECK', ...report.rounds.map((round) => roundTitles[round])],
    report.rows.map((row) => [
      row.name,
      ...report.rounds.map((round) => {
        const found = row.verdicts[round];
        if (!found) return '';
        return found.verdict === 'pass' ? 'pass' : `${found.verdict}: ${found.message}`;
      }),
    ]),
  );
}

export function describeRun(detail: RunDetailJson): string {
  const { run, device, timeline, decisions } = detail;
  const start = Date.parse(run.createdAt);
  const took = timings(timeline);
  const tried = imagesTried(timeline);
  const lines = [
    `run ${run.id} (${run.kind ?? 'upgrade'})`,
    `  device   ${device ? `${device.name} (id ${device.id}) at ${device.address}:${device.port}` : run.deviceId}`,
    ...(run.imageSha256 ? [`  image    ${run.imageSha256}`] : []),
    ...(tried.length > 1 ? [`  tried    ${tried.map((image) => `${image.version} (${shortSha(image.sha256)})`).join(', ')}`] : []),
    `  state    ${run.state}${run.state === 'running' || run.state === 'waiting' || run.state === 'staged' ? ` in ${run.phase}${detail.progress !== null ? ` (${detail.progress}%)` : ''}` : ''}`,
    `  started  ${when(run.createdAt)} by ${run.startedBy}; last change ${when(run.updatedAt)}`,
    ...(run.options
      ? [
          `  options  transport ${run.options.transport}; time limits ${Object.entries(run.options.timeLimits)
            .map(([name, s]) => `${name}=${s}`)
            .join(',')}${run.options.reinstall ? '; reinstall' : ''}${run.options.stage ? '; stage' : ''}${run.options.whenIdle ? '; when idle' : ''}${
            run.options.skipChecks?.length ? `; skips ${run.options.skipChecks.join(',')}` : ''
          }`,
        ]
      : []),
  ];
  if (run.outcome) {
    lines.push(
      `  outcome  ${run.outcome.state}: ${run.outcome.summary}`,
      `           running ${run.outcome.runningVersion ?? '?'}${run.outcome.keptNewSoftware ? ' (new software kept)' : ''}, config digest ${shortSha(run.outcome.configDigest)}`,
    );
  }
  if (run.cancelRequestedBy && !run.outcome)
    lines.push(`  cancel   asked by ${run.cancelRequestedBy} ${when(run.cancelRequestedAt)}: the run stops at its next safe point`);
  if (run.state === 'waiting') lines.push(`  waiting  for a decision: safeflash decide ${run.id} retry|abort`);
  if (run.state === 'staged') lines.push(`  staged   waiting for its activation: safeflash activate ${run.id}`);
  if (detail.checks.rows.length > 0) lines.push('', 'checks:', checksTable(detail.checks).trimEnd().replace(/^/gm, '  '));
  lines.push('', 'timeline:');
  const rows = timeline.map((e) => [
    `+${seconds(Date.parse(e.at) - start)}`,
    e.phase,
    e.kind,
    e.actor,
    `${e.message}${e.cause ? ` [${e.cause}]` : ''}${took.has(e.id) ? ` (took ${seconds(took.get(e.id)!)})` : ''}`,
  ]);
  lines.push(rows.length > 0 ? formatTable(['AT', 'PHASE', 'EVENT', 'BY', 'WHAT'], rows).trimEnd().replace(/^/gm, '  ') : '  (nothing yet)');
  if (decisions.length > 0) {
    lines.push('', 'decisions:');
    for (const d of decisions) {
      const extra = [d.imageSha256 ? `image ${shortSha(d.imageSha256)}` : '', d.backupSha256 ? `configuration ${shortSha(d.backupSha256)}` : '']
        .filter(Boolean)
        .join(', ');
      lines.push(`  ${when(d.at)}  ${d.actor}: ${d.answer}${extra ? ` (${extra})` : ''}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const diffContext = 2;

/** The changed lines with `diffContext` unchanged lines around each, "..." where lines are left out. */
function withContext(changes: DiffLine[]): string[] {
  const near = (i: number) => changes.slice(Math.max(0, i - diffContext), i + diffContext + 1).some((change) => change.op !== 'same');
  const out: string[] = [];
  changes.forEach((change, i) => {
    if (near(i)) out.push(`${{ same: ' ', removed: '-', added: '+' }[change.op]}${change.text}`);
    else if (out.at(-1) !== '...') out.push('...');
  });
  return out;
}

const configTitles = { original: 'original backup', restored: 'restored', readBack: 'read back' } as const;

function describeConfigurations(shown: RunConfigurations): string {
  const line = (title: string, config: RunConfigurations['original']) =>
    `  ${title.padEnd(16)}${config ? `${shortSha(config.sha256)} ${config.kind}, format ${config.configFormat}, digest ${shortSha(config.configDigest)}` : '(none)'}`;
  const { readBack } = shown;
  const lines = [
    'configurations:',
    line(configTitles.original, shown.original),
    line(configTitles.restored, shown.restored),
    `  ${configTitles.readBack.padEnd(16)}${readBack.configDigest ? `digest ${shortSha(readBack.configDigest)}${readBack.matches ? ` (${readBack.matches === 'neither' ? 'neither the original nor the restored' : `the ${readBack.matches}`})` : ''}` : '(not read yet)'}`,
  ];
  for (const diff of shown.diffs) {
    lines.push('', `--- ${configTitles[diff.from]}`, `+++ ${configTitles[diff.to]}`);
    lines.push(...withContext(diff.lines));
  }
  if (shown.diffs.length === 0 && shown.original) lines.push('', 'no differences: the original configuration was restored as it was');
  return `${lines.join('\n')}\n`;
}

export function registerRunsCommands(program: Command): void {
  const runs = program.command('runs').description('upgrade and backup runs: state and timeline');

  runs
    .command('list')
    .description('list runs, newest first')
    .option('--device <device>', 'only this device (id, name or address)')
    .addOption(new Option('--state <state>', 'only runs in this state').choices([...runStates]))
    .option('--json', 'print JSON')
    .addOption(serverOption())
    .action(async (options: { device?: string; state?: string; json?: boolean; server: string }) => {
      const api = new ApiClient(options.server);
      const query = new URLSearchParams();
      if (options.device) query.set('device', options.device);
      if (options.state) query.set('state', options.state);
      const [list, devices] = await withManager(() =>
        Promise.all([api.get<RunJson[]>(`/api/runs${query.size > 0 ? `?${query}` : ''}`), api.get<Array<{ id: number; name: string }>>('/api/devices')]),
      );
      if (options.json) printJson(list);
      else if (list.length === 0) process.stdout.write('no runs\n');
      else process.stdout.write(runTable(list, new Map(devices.map((d) => [d.id, d.name]))));
    });

  viewCommand<RunDetailJson>(runs, {
    name: 'show',
    description: 'a run and its timeline: every phase, notification, retry and decision, with times',
    argument: { name: '<run>', description: 'run id' },
    path: (id) => `/api/runs/${encodeURIComponent(id)}`,
    text: describeRun,
  });

  viewCommand<RunConfigurations>(runs, {
    name: 'diff',
    description: "a run's configurations: the original backup, the one restored (migrated or edited), what the device runs at the end, and their line diffs",
    argument: { name: '<run>', description: 'run id' },
    path: (id) => `/api/runs/${encodeURIComponent(id)}/configurations`,
    text: describeConfigurations,
  });

  runs
    .command('cancel')
    .description(
      'stop runs at their next safe point: an operation already ordered finishes, nothing new starts; then the run ends with nothing changed, or rolls the device back fully',
    )
    .argument('<run...>', 'run ids')
    .addOption(operatorOption())
    .option('--json', 'print JSON')
    .addOption(serverOption())
    .action(async (ids: string[], options: { operator?: string; json?: boolean; server: string }) => {
      const api = new ApiClient(options.server);
      const operator = operatorName(options.operator);
      const answers: Array<{ run: RunJson; repeated: boolean }> = [];
      const refused: Error[] = [];
      for (const id of ids) {
        try {
          const answer = await withManager(() =>
            api.post<{ run: RunJson; repeated: boolean }>(`/api/runs/${encodeURIComponent(id)}/cancel`, { body: { operator } }),
          );
          answers.push(answer);
          if (!options.json) {
            const { run } = answer;
            process.stdout.write(
              answer.repeated
                ? `run ${run.id}: cancel already asked by ${run.cancelRequestedBy} ${when(run.cancelRequestedAt)}; it stops at its next safe point\n`
                : `run ${run.id}: cancel recorded for ${run.cancelRequestedBy}; it stops at its next safe point (${run.state} in ${run.phase})\n`,
            );
          }
        } catch (error) {
          // One run refused does not keep the others running.
          if (!(error instanceof CommandFailure || error instanceof UsageFailure)) throw error;
          process.stderr.write(`safeflash: run ${id}: ${error.message}\n`);
          refused.push(error);
        }
      }
      if (options.json) printJson(answers);
      if (refused.length > 0) {
        const message = `${refused.length} of ${ids.length} runs not cancelled`;
        throw refused.every((error) => error instanceof UsageFailure) ? new UsageFailure(message) : new CommandFailure(message);
      }
    });
  registerRunsFollowCommand(runs);
}
