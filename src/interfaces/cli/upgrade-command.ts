// `safeflash upgrade DEVICE... --image FILE|SHA`: one run per device on the manager, followed until
// each ends. On a terminal a run that asks is answered in place; elsewhere it is left waiting with the
// command that answers it. Exit 0 only when every device verified or was already up to date.
import { createInterface } from 'node:readline/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { PolicyRequest } from '../../manager/procedure/policy.ts';
import { ApiClient, ApiError, serverOption, withManager } from './api-client.ts';
import { finalStates, type DeviceJson, type RunDetailJson, type RunJson } from './api-types.ts';
import { sendDecision } from './decide-command.ts';
import { resolveImage } from './image-upload.ts';
import { operatorName, operatorOption } from './operator-name.ts';
import { parsePolicy, policySyntax } from './policy-option.ts';
import { reinstallOption, timeLimitsOption, transportOption } from './run-options-option.ts';
import type { TimeLimits } from '../../manager/store/records.ts';
import type { TransferProtocol } from '../../protocol/transfer.ts';
import { CommandFailure, UsageFailure, integerOption } from './program.ts';
import { BarDisplay, LineDisplay, type RunDisplay } from './run-display.ts';
import { formatTable } from './table.ts';

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
}

interface Followed {
  label: string;
  run: RunJson;
  detail?: RunDetailJson;
  /** Left waiting for a decision someone else will give (no terminal to ask on). */
  leftWaiting: boolean;
  /** The question (askedOperator event) answered last, so that it is not asked twice while the run takes the answer. */
  answered?: number;
}

const pollMs = 500;

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
    .option('--no-interactive', 'never ask in place; a run that asks is left waiting for `safeflash decide`')
    .option('--max-wait <seconds>', 'stop following after this long (the runs go on in the manager)', integerOption(1, 30 * 86_400), 86_400)
    .addOption(operatorOption())
    .addOption(serverOption())
    .action(async (devices: string[], options: UpgradeOptions) => upgrade(devices, options));
}

async function upgrade(references: string[], options: UpgradeOptions): Promise<void> {
  if (new Set(references).size !== references.length) throw new UsageFailure('a device is named twice');
  const api = new ApiClient(options.server);
  const operator = operatorName(options.operator);
  const { image, devices } = await withManager(async () => {
    // Every device must exist before any run starts: a typo must not leave half a fleet upgrading.
    const devices = await Promise.all(references.map((r) => api.get<DeviceJson>(`/api/devices/${encodeURIComponent(r)}`)));
    return { image: await resolveImage(api, options.image), devices };
  });
  const say = (text: string) => process.stderr.write(`${text}\n`);
  say(`image ${image.model} ${image.version} (${image.sha256.slice(0, 12)}) for ${devices.length} device${devices.length === 1 ? '' : 's'}`);
  if (options.reinstall) {
    say(`--reinstall: a device that already runs ${image.version} gets it again, and its other bank (the previous version, the way back) is overwritten`);
  }
  const runOptions = {
    ...(options.transport ? { transport: options.transport } : {}),
    ...(options.timeLimits ? { timeLimits: options.timeLimits } : {}),
    ...(options.reinstall ? { reinstall: true } : {}),
  };

  const followed: Followed[] = [];
  for (const device of devices) {
    try {
      const run = await api.post<RunJson>('/api/runs', {
        body: { device: String(device.id), image: image.sha256, operator, ...(options.policy ? { policy: options.policy } : {}), ...runOptions },
      });
      followed.push({ label: device.name, run, leftWaiting: false });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      say(`${device.name}: not started: ${error.message}`);
    }
  }
  if (followed.length === 0) throw new CommandFailure('no run started');

  const terminal = process.stdout.isTTY === true && process.stdin.isTTY === true;
  const interactive = terminal && options.interactive;
  const display: RunDisplay = process.stdout.isTTY ? new BarDisplay(followed.map((f) => f.label)) : new LineDisplay();
  const interrupted = new Promise<'interrupted'>((resolve) => process.once('SIGINT', () => resolve('interrupted')));
  const deadline = Date.now() + options.maxWait * 1000;
  let stoppedBy: 'interrupted' | 'maxWait' | undefined;
  try {
    while (followed.some(following)) {
      for (const f of followed.filter(following)) {
        f.detail = await withManager(() => api.get<RunDetailJson>(`/api/runs/${encodeURIComponent(f.run.id)}`));
        f.run = f.detail.run;
        display.update(f.label, f.detail);
        if (f.run.state !== 'waiting' || (f.answered !== undefined && f.answered === lastAskId(f.detail))) continue;
        if (interactive) await askInPlace(api, f, display, operator);
        else {
          f.leftWaiting = true;
          display.say(`${f.label}: run ${f.run.id} waits for a decision in ${f.run.phase}: ${lastAsk(f.detail)}\n  answer with: safeflash decide ${f.run.id} retry|abort`);
        }
      }
      if (!followed.some(following)) break;
      if (Date.now() > deadline) {
        stoppedBy = 'maxWait';
        break;
      }
      if ((await Promise.race([sleep(pollMs), interrupted])) === 'interrupted') {
        stoppedBy = 'interrupted';
        break;
      }
    }
  } finally {
    display.stop();
  }
  process.stdout.write(`\n${summary(followed)}`);
  if (stoppedBy) say(`stopped following (${stoppedBy === 'maxWait' ? `--max-wait ${options.maxWait} s` : 'interrupted'}); the runs go on in the manager: safeflash runs list`);
  const verified = followed.filter((f) => f.run.state === 'verified').length;
  const upToDate = followed.filter((f) => f.run.state === 'upToDate').length;
  const already = upToDate > 0 ? `, ${upToDate} already up to date (nothing changed; --reinstall to install again)` : '';
  if (verified + upToDate !== devices.length) throw new CommandFailure(`${verified} of ${devices.length} devices verified${already}`);
  say(upToDate === 0 ? `all ${verified} devices verified on ${image.version}` : `all ${devices.length} devices on ${image.version}: ${verified} verified${already}`);
}

function following(f: Followed): boolean {
  return !finalStates.includes(f.run.state) && !f.leftWaiting;
}

function lastAskId(detail: RunDetailJson): number | undefined {
  return [...detail.timeline].reverse().find((e) => e.kind === 'askedOperator')?.id;
}

function lastAsk(detail: RunDetailJson): string {
  const asked = [...detail.timeline].reverse().find((e) => e.kind === 'askedOperator' || e.kind === 'phaseFailed');
  return asked ? `${asked.message}${asked.cause ? ` [${asked.cause}]` : ''}` : 'the phase failed';
}

const answers: Record<string, 'retry' | 'abort' | 'keepNewSoftware'> = { r: 'retry', retry: 'retry', a: 'abort', abort: 'abort', k: 'keepNewSoftware', keep: 'keepNewSoftware' };

async function askInPlace(api: ApiClient, f: Followed, display: RunDisplay, operator: string): Promise<void> {
  display.pause();
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    process.stdout.write(`\n${f.label}: run ${f.run.id} failed in ${f.run.phase}: ${lastAsk(f.detail!)}\n`);
    for (let attempt = 0; attempt < 3; attempt++) {
      const typed = (await prompt.question('retry, abort, or keep the new software? [r/a/k] ')).trim().toLowerCase();
      const answer = answers[typed];
      if (!answer) continue;
      f.answered = lastAskId(f.detail!) ?? -1;
      try {
        await sendDecision(api, f.run.id, { answer, operator });
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        process.stdout.write(`not taken: ${error.message}\n`);
      }
      return;
    }
    f.leftWaiting = true;
    process.stdout.write(`left waiting; answer later with: safeflash decide ${f.run.id} retry|abort\n`);
  } finally {
    prompt.close();
    display.resume();
  }
}

function summary(followed: Followed[]): string {
  return formatTable(
    ['DEVICE', 'RUN', 'RESULT', 'PHASE', 'RETRIES', 'REVERTS', 'TOOK', 'SUMMARY'],
    followed.map((f) => {
      const timeline = f.detail?.timeline ?? [];
      const took = (Date.parse(f.run.updatedAt) - Date.parse(f.run.createdAt)) / 1000;
      return [
        f.label,
        f.run.id,
        f.run.state,
        f.run.phase,
        String(timeline.filter((e) => e.kind === 'retryScheduled').length),
        String(timeline.filter((e) => e.kind === 'revert').length),
        `${took.toFixed(1)} s`,
        f.run.outcome?.summary ?? (f.run.state === 'waiting' ? `safeflash decide ${f.run.id} retry|abort` : ''),
      ];
    }),
  );
}
