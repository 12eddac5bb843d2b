// Run options on the command line, the same on every command that takes them (serve, upgrade, backup,
// campaign create): --transport tftp|ftp, --time-limits backup=120,download=900, --reinstall, --converter,
// and for upgrades --stage, --when-idle, --skip-checks.
import { InvalidArgumentError, Option } from 'commander';
import { parseTimeLimits, RunOptionsError, timeLimitsSyntax } from '../../manager/procedure/run-options.ts';
import { converters, type TimeLimits } from '../../manager/store/records.ts';
import { type CheckName, checkNames, isCheckName } from '../../manager/procedure/checks.ts';
import { transferProtocols } from '../../protocol/transfer-contract.ts';

export function transportOption(what: string): Option {
  return new Option('--transport <transport>', what).choices([...transferProtocols]);
}

export function timeLimitsOption(what: string): Option {
  return new Option('--time-limits <limits>', `${what}: ${timeLimitsSyntax}`).argParser(timeLimits);
}

export function reinstallOption(): Option {
  return new Option(
    '--reinstall',
    'install the image even on a device that already runs it: its other bank (the previous version, the way back) is overwritten',
  );
}

export function converterOption(): Option {
  return new Option(
    '--converter <who>',
    'who converts the configuration when the new software reads another format: the manager (default), or the device with its own converter, where its family has one',
  ).choices([...converters]);
}

export function stageOption(
  what = 'stop once the image is verified in the inactive bank, not marked for boot (nothing rebooted); activate later with `safeflash activate`',
): Option {
  return new Option('--stage', what);
}

export function whenIdleOption(): Option {
  return new Option('--when-idle', 'activate only once the device has no call in progress (where it reports its calls)');
}

export function skipChecksOption(): Option {
  return new Option('--skip-checks <names>', `pre-checks and post-checks to leave out, comma-separated: ${checkNames.join(', ')}`).argParser(skipChecks);
}

function skipChecks(text: string): CheckName[] {
  const names = text.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !isCheckName(name));
  if (unknown.length > 0) throw new InvalidArgumentError(`no check ${unknown.join(', ')}; checks: ${checkNames.join(', ')}`);
  return names as CheckName[];
}

function timeLimits(text: string): Partial<TimeLimits> {
  try {
    return parseTimeLimits(text);
  } catch (error) {
    if (error instanceof RunOptionsError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

/** FROM-TO, the ports of the FTP server's passive data connections. */
export function passivePorts(text: string): { min: number; max: number } {
  const match = /^([0-9]{1,5})-([0-9]{1,5})$/.exec(text.trim());
  const min = Number(match?.[1]);
  const max = Number(match?.[2]);
  if (!match || min < 1024 || max > 65535 || min > max)
    throw new InvalidArgumentError(`expected FROM-TO, two ports from 1024 to 65535 with FROM <= TO, got "${text}"`);
  return { min, max };
}
