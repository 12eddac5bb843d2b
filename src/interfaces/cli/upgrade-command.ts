// `safeflash upgrade DEVICE... --image FILE|SHA`: one run per device on the manager (a device named
// twice is one device), followed until each ends (run-follow.ts), or with --stage until each is staged.
// Exit 0 only when every device verified (staged, with --stage) or was already up to date.
import type { Command } from 'commander';
import type { PolicyRequest } from '../../manager/procedure/policy.ts';
import { ApiClient, serverOption, withManager } from './api-client.ts';
import type { RunJson } from './api-types.ts';
import { resolveDevices } from './device-references.ts';
import { resolveImage } from './image-upload.ts';
import { operatorName, operatorOption } from './operator-name.ts';
import { parsePolicy, policySyntax } from './policy-option.ts';
import { converterOption, reinstallOption, skipChecksOption, stageOption, timeLimitsOption, transportOption, whenIdleOption } from './run-options-option.ts';
import type { CheckName } from '../../manager/procedure/checks.ts';
import type { TimeLimits } from '../../manager/store/records.ts';
import type { TransferProtocol } from '../../protocol/transfer-contract.ts';
import { CommandFailure, integerOption } from './program.ts';
import { followRuns, newFollowedRun, type FollowedRun } from './run-follow.ts';

interface UpgradeOptions {
  image: string;
  policy?: PolicyRequest;
  operator?: string;
  interactive: boolean;
  maxWait: number;
  server: string;
  transport?: TransferProtocol;
  timeLimits?: Partial<TimeLimits>;
  reinstall?: boolean;
  converter?: 'manager' | 'device';
  stage?: boolean;
  whenIdle?: boolean;
  skipChecks?: CheckName[];
}

export function registerUpgradeCommand(program: Command): void {
  program
    .command('upgrade')
    .description('upgrade devices to a signed image: backup, upgrade, migrate, restore, verify; one durable run per device')
    .argument('<devices...>', 'device ids, names or addresses')
    .requiredOption('--image <file|sha256>', 'the image: a file (sent to the manager first) or the SHA-256 of one it holds')
    .option('--policy <policy>', `what a failed phase does (default retry=2,then=ask): ${policySyntax}`, parsePolicy)
    .addOption(transportOption("how every file of the runs moves (default: each device's, else the manager's)"))
    .addOption(timeLimitsOption("the runs' phase time limits in seconds, above the manager's"))
    .addOption(reinstallOption())
    .addOption(converterOption())
    .addOption(stageOption())
    .addOption(whenIdleOption())
    .addOption(skipChecksOption())
    .option('--no-interactive', 'never ask in place; a run that asks is left waiting for `safeflash decide`')
    .option('--max-wait <seconds>', 'stop following after this long (the runs go on in the manager)', integerOption(1, 30 * 86_400), 86_400)
    .addOption(operatorOption())
    .addOption(serverOption())
    .action(async (devices: string[], options: UpgradeOptions) => upgrade(devices, options));
}

async function upgrade(references: string[], options: UpgradeOptions): Promise<void> {
  const api = new ApiClient(options.server);
  const operator = operatorName(options.operator);
  const say = (text: string) => process.stderr.write(`${text}\n`);
  const { image, devices } = await withManager(async () => {
    // Every device must exist before any run starts: a typo must not leave half a fleet upgrading.
    const { devices, merged } = await resolveDevices(api, references);
    for (const line of merged) say(line);
    return { image: await resolveImage(api, options.image), devices };
  });
  say(`image ${image.model} ${image.version} (${image.sha256.slice(0, 12)}) for ${devices.length} device${devices.length === 1 ? '' : 's'}`);
  if (options.reinstall) {
    say(`--reinstall: a device that already runs ${image.version} gets it again, and its other bank (the previous version, the way back) is overwritten`);
  }
  const runOptions = {
    ...(options.transport ? { transport: options.transport } : {}),
    ...(options.timeLimits ? { timeLimits: options.timeLimits } : {}),
    ...(options.reinstall ? { reinstall: true } : {}),
    ...(options.converter ? { converter: options.converter } : {}),
    ...(options.stage ? { stage: true } : {}),
    ...(options.whenIdle ? { whenIdle: true } : {}),
    ...(options.skipChecks ? { skipChecks: options.skipChecks } : {}),
  };

  // One request for the whole fleet: the manager starts each run on its own and says why any did not.
  const nameOf = new Map(devices.map((device) => [String(device.id), device.name]));
  const batch = await api.post<{ runs: RunJson[]; refused: Array<{ device: string; error: string }> }>('/api/runs/batch', {
    body: { devices: [...nameOf.keys()], image: image.sha256, operator, ...(options.policy ? { policy: options.policy } : {}), ...runOptions },
    // Every run is created and queued before the answer: a large fleet takes a while on a busy manager.
    timeoutMs: 60_000 + 100 * nameOf.size,
  });
  for (const { device, error } of batch.refused) say(`${nameOf.get(device) ?? device}: not started: ${error}`);
  const followed: FollowedRun[] = batch.runs.map((run) => newFollowedRun(nameOf.get(String(run.deviceId)) ?? String(run.deviceId), run));
  if (followed.length === 0) throw new CommandFailure('no run started');

  const { succeeded, staged } = await followRuns(api, followed, { interactive: options.interactive, maxWait: options.maxWait, operator });
  if (options.stage) {
    if (staged.length + succeeded.length !== devices.length) throw new CommandFailure(`${staged.length} of ${devices.length} devices staged`);
    say(
      `${staged.length} device${staged.length === 1 ? '' : 's'} staged on ${image.version}; activate with: safeflash activate ${staged.map((f) => f.run.id).join(' ')}`,
    );
    return;
  }
  const upToDate = succeeded.filter((f) => f.run.state === 'upToDate').length;
  const verified = succeeded.length - upToDate;
  const already = upToDate > 0 ? `, ${upToDate} already up to date (nothing changed; --reinstall to install again)` : '';
  if (succeeded.length !== devices.length) throw new CommandFailure(`${verified} of ${devices.length} devices verified${already}`);
  say(
    upToDate === 0
      ? `all ${verified} device${verified === 1 ? '' : 's'} verified on ${image.version}`
      : `all ${devices.length} devices on ${image.version}: ${verified} verified${already}`,
  );
}
