// What every Safeflash command line shares: exit codes and the way failures are reported.
import { Command, CommanderError, InvalidArgumentError as InvalidOptionValue } from 'commander';
import { quietDependencyWarnings } from './warnings.ts';

/** Exit codes of every command: the work succeeded, the work failed, the command line was wrong. */
export const ExitCode = { ok: 0, failure: 1, usage: 2 } as const;

/** A failure of the work itself (not of the command line): printed as one line, exit 1. */
export class CommandFailure extends Error {
  override name = 'CommandFailure';
}

/** A command line that is wrong in a way only the work finds out (an unknown device, a bad combination): exit 2. */
export class UsageFailure extends Error {
  override name = 'UsageFailure';
}

/** A root command whose usage errors exit 2 instead of commander's default 1. */
export function createProgram(name: string, description: string): Command {
  const program = new Command(name).description(description).showHelpAfterError();
  program.exitOverride();
  program.configureOutput({ outputError: (text, write) => write(text) });
  return program;
}

/** Runs a program to completion and exits with the code that says how it went. */
export async function runProgram(program: Command, argv = process.argv): Promise<void> {
  quietDependencyWarnings();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version arrive here as "errors" with exit code 0.
      process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
      return;
    }
    process.stderr.write(`${program.name()}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = error instanceof UsageFailure ? ExitCode.usage : ExitCode.failure;
  }
}

/** Parses an integer option, rejecting anything else as a usage error. */
export function integerOption(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidOptionValue(`expected an integer from ${min} to ${max}, got "${value}"`);
    }
    return n;
  };
}
