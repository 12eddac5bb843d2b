// Who an operator is, for the record of their decisions and runs: --operator, else the login name.
import { userInfo } from 'node:os';
import { Option } from 'commander';

export function operatorOption(): Option {
  return new Option('--operator <name>', "who you are, for the run's record (default: your login name)");
}

export function operatorName(given: string | undefined): string {
  if (given) return given;
  try {
    return userInfo().username || 'cli';
  } catch {
    return 'cli';
  }
}
