// `safeflash runs follow RUN...`: re-attaches to runs started elsewhere (another terminal, a campaign,
// the dashboard, an upgrade that stopped following) and follows them as `safeflash upgrade` does: same
// display, same questions in place, exit 0 only when every run ended well.
import type { Command } from 'commander';
import { ApiClient, serverOption, withManager } from './api-client.ts';
import type { RunDetailJson } from './api-types.ts';
import { operatorName, operatorOption } from './operator-name.ts';
import { CommandFailure, integerOption } from './program.ts';
import { followRuns, newFollowedRun } from './run-follow.ts';

interface FollowCommandOptions {
  operator?: string;
  interactive: boolean;
  maxWait: number;
  server: string;
}

export function registerRunsFollowCommand(runs: Command): void {
  runs
    .command('follow')
    .description('follow runs started elsewhere until they end, as `safeflash upgrade` does (answering on a terminal the runs that ask)')
    .argument('<runs...>', 'run ids')
    .option('--no-interactive', 'never ask in place; a run that asks is left waiting for `safeflash decide`')
    .option('--max-wait <seconds>', 'stop following after this long (the runs go on in the manager)', integerOption(1, 30 * 86_400), 86_400)
    .addOption(operatorOption())
    .addOption(serverOption())
    .action(async (ids: string[], options: FollowCommandOptions) => follow(ids, options));
}

async function follow(ids: string[], options: FollowCommandOptions): Promise<void> {
  const api = new ApiClient(options.server);
  const operator = operatorName(options.operator);
  const distinct = [...new Set(ids)];
  if (distinct.length < ids.length) process.stderr.write(`a run named more than once is followed once\n`);
  // Every run must exist before following starts; an unknown id is refused like `runs show` refuses it (exit 2).
  const details = await withManager(() => Promise.all(distinct.map((id) => api.get<RunDetailJson>(`/api/runs/${encodeURIComponent(id)}`))));
  const names = details.map((d) => d.device?.name ?? `device ${d.run.deviceId}`);
  // Two runs of one device (an upgrade and a backup) are told apart by their run ids.
  const labels = names.map((name, i) => (names.indexOf(name) !== names.lastIndexOf(name) ? `${name} ${details[i]!.run.id}` : name));
  const followed = details.map((detail, i) => newFollowedRun(labels[i]!, detail.run, detail));
  const { succeeded } = await followRuns(api, followed, { interactive: options.interactive, maxWait: options.maxWait, operator });
  if (succeeded.length !== followed.length) throw new CommandFailure(`${succeeded.length} of ${followed.length} runs verified`);
  process.stderr.write(`all ${succeeded.length} run${succeeded.length === 1 ? '' : 's'} verified\n`);
}
