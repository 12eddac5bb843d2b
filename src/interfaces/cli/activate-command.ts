// `safeflash activate DEVICE|RUN...`: activates staged runs (a device stands for its staged run), then
// follows them to their end like `upgrade` does. Each run is pre-checked again by the manager before its
// software boots; one that cannot go ahead now stays staged and says why. Exit 0 only when every run
// verified.
import type { Command } from 'commander';
import { ApiClient, ApiError, serverOption, withManager } from './api-client.ts';
import type { DecisionJson, RunDetailJson, RunJson } from './api-types.ts';
import { operatorName, operatorOption } from './operator-name.ts';
import { CommandFailure, integerOption } from './program.ts';
import { followRuns, newFollowedRun, type FollowedRun } from './run-follow.ts';

interface ActivateOptions {
  operator?: string;
  interactive: boolean;
  follow: boolean;
  maxWait: number;
  server: string;
}

export function registerActivateCommand(program: Command): void {
  program
    .command('activate')
    .description('activate staged runs: pre-check again, boot the staged software, restore and verify')
    .argument('<targets...>', 'run ids, or devices (id, name or address) whose staged run to activate')
    .option('--no-follow', 'return once the activations are recorded; the runs go on in the manager')
    .option('--no-interactive', 'never ask in place; a run that asks is left waiting for `safeflash decide`')
    .option('--max-wait <seconds>', 'stop following after this long (the runs go on in the manager)', integerOption(1, 30 * 86_400), 86_400)
    .addOption(operatorOption())
    .addOption(serverOption())
    .action(async (targets: string[], options: ActivateOptions) => activate(targets, options));
}

async function activate(targets: string[], options: ActivateOptions): Promise<void> {
  const api = new ApiClient(options.server);
  const operator = operatorName(options.operator);
  const say = (text: string) => process.stderr.write(`${text}\n`);
  // Every target is looked up before any is activated: a typo must not leave half a list activated.
  const runs = await withManager(() => Promise.all(targets.map((target) => stagedRunOf(api, target))));
  const followed: FollowedRun[] = [];
  for (const [i, run] of runs.entries()) {
    try {
      await api.post<DecisionJson>(`/api/runs/${encodeURIComponent(run.id)}/activate`, { body: { operator } });
      say(`${targets[i]}: run ${run.id} activated by ${operator}`);
      followed.push(newFollowedRun(targets[i]!, { ...run, state: 'running' }));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      say(`${targets[i]}: not activated: ${error.message}`);
    }
  }
  if (followed.length === 0) throw new CommandFailure('no run activated');
  if (!options.follow) return;
  const { succeeded, staged } = await followRuns(api, followed, { interactive: options.interactive, maxWait: options.maxWait, operator });
  if (staged.length > 0) say(`${staged.length} still staged: a check refused the activation now (see safeflash runs show RUN)`);
  if (succeeded.length !== targets.length) throw new CommandFailure(`${succeeded.length} of ${targets.length} runs verified`);
  say(`all ${succeeded.length} run${succeeded.length === 1 ? '' : 's'} verified`);
}

/** The run a target names: a run, or else a device whose staged run it is. */
async function stagedRunOf(api: ApiClient, target: string): Promise<RunJson> {
  try {
    return (await api.get<RunDetailJson>(`/api/runs/${encodeURIComponent(target)}`)).run;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
  }
  const [run] = await api.get<RunJson[]>(`/api/runs?device=${encodeURIComponent(target)}&state=staged&limit=1`);
  if (!run) throw new CommandFailure(`${target} has no staged run`);
  return run;
}
