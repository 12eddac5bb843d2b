// The commands that read one thing from the manager and print it (`device list`, `runs show RUN`, ...):
// the same options (--json, --server), the same error handling, only the path and the text differ.
import type { Command } from 'commander';
import { ApiClient, serverOption, withManager } from './api-client.ts';
import { printJson } from './table.ts';

export interface ViewSpec<T> {
  name: string;
  description: string;
  /** The command's one argument (a device, a run, a campaign), when it takes one. */
  argument?: { name: string; description: string };
  /** The API path to read, given the argument ('' when the command takes none). */
  path: (argument: string) => string;
  /** The text printed without --json. */
  text: (value: T, argument: string) => string;
}

export function viewCommand<T>(parent: Command, spec: ViewSpec<T>): Command {
  const command = parent.command(spec.name).description(spec.description);
  if (spec.argument) command.argument(spec.argument.name, spec.argument.description);
  return command
    .option('--json', 'print JSON')
    .addOption(serverOption())
    .action(async (...args: unknown[]) => {
      // Commander passes the argument (when declared), the options, then the command itself.
      const options = (args.at(-1) as Command).opts<{ json?: boolean; server: string }>();
      const argument = spec.argument ? (args[0] as string) : '';
      const api = new ApiClient(options.server);
      const value = await withManager(() => api.get<T>(spec.path(argument)));
      if (options.json) printJson(value);
      else process.stdout.write(spec.text(value, argument));
    });
}
