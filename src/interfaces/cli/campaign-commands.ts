// `safeflash campaign create|list|show|pause|resume|abort|approve`: fleet upgrades in waves, from flags
// or from a campaign file (YAML with the same fields as the API's POST /api/campaigns body).
import { createRequire } from 'node:module';
import { familyNames } from '../../families/family.ts';
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { CampaignDetail } from '../../manager/campaigns/campaign-reads.ts';
import { campaignDeviceStates, type Stage } from '../../manager/campaigns/model.ts';
import { checkCampaignRequest, CampaignRequestError, type CampaignRequest } from '../../manager/campaigns/settings.ts';
import type { CampaignRecord } from '../../manager/store/campaigns.ts';
import { ApiClient, serverOption, withManager } from './api-client.ts';
import type { Json } from './api-types.ts';
import { resolveImage } from './image-upload.ts';
import { operatorName, operatorOption } from './operator-name.ts';
import { parsePolicy, policySyntax } from './policy-option.ts';
import { converterOption, reinstallOption, skipChecksOption, stageOption, timeLimitsOption, transportOption, whenIdleOption } from './run-options-option.ts';
import type { TimeLimits } from '../../manager/store/records.ts';
import type { TransferProtocol } from '../../protocol/transfer-contract.ts';
import { integerOption, UsageFailure } from './program.ts';
import { formatTable, printJson, shortSha, when } from './table.ts';
import { viewCommand } from './view-command.ts';

// Loaded when a campaign file is read, not by every command: the package is some eighty modules.
const yaml = (): typeof import('yaml') => createRequire(import.meta.url)('yaml');

type CampaignJson = Json<CampaignRecord>;
type CampaignDetailJson = Json<CampaignDetail> & { waves: Array<Stage & { counters: Record<string, number> }> };

interface CreateOptions {
  file?: string;
  name?: string;
  image?: string[];
  devices?: string;
  model?: string;
  family?: string;
  versionRange?: string;
  tag?: string[];
  waves?: string;
  maxConcurrent?: number;
  rate?: number;
  threshold?: string;
  approval?: boolean;
  window?: string;
  timeZone?: string;
  policy?: CampaignRequest['policy'];
  offlineAttempts?: number;
  retryDelay?: number;
  transport?: TransferProtocol;
  timeLimits?: Partial<TimeLimits>;
  reinstall?: boolean;
  converter?: string;
  stage?: boolean;
  whenIdle?: boolean;
  skipChecks?: string[];
  operator?: string;
  json?: boolean;
  server: string;
}

/** The campaign file: YAML (or JSON) holding the API's fields; checked here so mistakes show before anything is sent. */
export function readCampaignFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageFailure(
      `cannot read campaign file ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = yaml().parse(text);
  } catch (error) {
    throw new UsageFailure(`campaign file ${file} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageFailure(`campaign file ${file}: expected fields (name, image, waves, ...) at the top level`);
  return parsed as Record<string, unknown>;
}

function requestFromFlags(options: CreateOptions): Record<string, unknown> {
  const given: Record<string, unknown> = {
    name: options.name,
    image: options.image?.[0],
    images: options.image && options.image.length > 1 ? options.image.slice(1) : undefined,
    devices: options.devices
      ?.split(',')
      .map((d) => d.trim())
      .filter(Boolean),
    model: options.model,
    family: options.family,
    versionRange: options.versionRange,
    tags: options.tag,
    waves: options.waves,
    maxConcurrent: options.maxConcurrent,
    ratePerMinute: options.rate,
    threshold: options.threshold === undefined ? undefined : /^\d+$/.test(options.threshold) ? Number(options.threshold) : options.threshold,
    approval: options.approval,
    window: options.window,
    timeZone: options.timeZone,
    policy: options.policy,
    offlineAttempts: options.offlineAttempts,
    retryDelaySeconds: options.retryDelay,
    transport: options.transport,
    timeLimits: options.timeLimits,
    reinstall: options.reinstall,
    converter: options.converter,
    stage: options.stage,
    whenIdle: options.whenIdle,
    skipChecks: options.skipChecks,
  };
  return Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
}

function stageName(stage: Pick<Stage, 'kind' | 'number'> | null | undefined): string {
  return !stage ? '-' : stage.kind === 'wave' ? `wave ${stage.number}` : `retry ${stage.number}`;
}

function progress(counters: Record<string, number> | undefined): string {
  const c = counters ?? {};
  const total = campaignDeviceStates.reduce((sum, s) => sum + (c[s] ?? 0), 0);
  const done = (c.verified ?? 0) + (c.recovered ?? 0);
  return `${done}/${total} upgraded${c.failed ? `, ${c.failed} failed` : ''}${c.offline || c.unreachable ? `, ${(c.offline ?? 0) + (c.unreachable ?? 0)} offline` : ''}`;
}

export function campaignTable(list: CampaignJson[]): string {
  return formatTable(
    ['CAMPAIGN', 'NAME', 'VERSION', 'STATE', 'STAGE', 'PROGRESS', 'CREATED'],
    list.map((c) => [
      c.id,
      c.name,
      c.imageVersion,
      c.state + (c.pauseCause ? ` (${c.pauseCause})` : ''),
      stageName(c.stage),
      progress(c.counters),
      when(c.createdAt),
    ]),
  );
}

export function describeCampaign(detail: CampaignDetailJson): string {
  const { campaign, waves, devices, events } = detail;
  const counts = (c: Record<string, number>) =>
    campaignDeviceStates
      .filter((s) => c[s])
      .map((s) => `${s} ${c[s]}`)
      .join(', ') || 'none';
  const lines = [
    `campaign ${campaign.id} "${campaign.name}": ${campaign.state}${campaign.pauseCause ? ` (${campaign.pauseCause})` : ''}`,
    `  image    ${campaign.imageVersion} (${shortSha(campaign.imageSha256)})`,
    `  stage    ${stageName(campaign.stage)}${campaign.state === 'awaitingApproval' ? ` awaits approval: safeflash campaign approve ${campaign.id}` : ''}`,
    `  created  ${when(campaign.createdAt)} by ${campaign.createdBy}`,
    '',
    'waves:',
    ...waves.map((w) => `  ${stageName(w).padEnd(9)} ${String(w.size).padStart(5)} device(s), pauses at ${w.pauseAt} failure(s): ${counts(w.counters)}`),
    '',
    'devices:',
    formatTable(
      ['DEVICE', 'WAVE', 'STATE', 'RUN', 'RUN STATE', 'TRIES', 'WHY'],
      devices.map((d) => [
        d.name,
        d.wave === null ? '-' : String(d.wave + 1),
        d.state,
        d.runId ?? '-',
        d.run ? `${d.run.state} in ${d.run.phase}` : '-',
        String(d.attempts),
        d.message ?? d.cause ?? '',
      ]),
    )
      .trimEnd()
      .replace(/^/gm, '  '),
    '',
    'events:',
    ...events.map((e) => `  ${when(e.at)}  ${e.kind.padEnd(16)} ${e.actor.padEnd(18)} ${e.message}${e.cause ? ` [${e.cause}]` : ''}`),
  ];
  return `${lines.join('\n')}\n`;
}

export function registerCampaignCommands(program: Command): void {
  const campaign = program.command('campaign').description('upgrade many devices in waves: create, follow, pause, resume, abort, approve');

  campaign
    .command('create')
    .description(
      'create a campaign from flags or from a campaign file (YAML with the same fields: name, image, devices, model, versionRange, tags, waves, ...)',
    )
    .option('--file <campaign.yaml>', 'campaign file; flags given too override its fields')
    .option('--name <name>', "the campaign's name")
    .option(
      '--image <file|sha256>',
      'a signed image file (sent to the manager) or the SHA-256 of one it holds; repeat for a fleet of several models (one image each)',
      (image: string, images: string[] = []) => [...images, image],
    )
    .option('--devices <a,b,...>', 'these devices (ids, names or addresses)')
    .option('--model <model>', 'devices of this model')
    .option('--family <family>', `devices of this family (${familyNames.join(', ')})`)
    .option('--version-range <range>', 'devices whose software is in this range, e.g. ">=1.0.0 <2.0.0"')
    .option('--tag <tag>', 'devices with this tag (repeat for several: all must match)', (tag: string, tags: string[] = []) => [...tags, tag])
    .option('--waves <list>', 'cumulative percentages (1%,10%,50%,100%) or wave sizes (5,20,100)')
    .option('--max-concurrent <n>', 'runs at once, at most (default 10)', integerOption(1, 1000))
    .option('--rate <per-minute>', 'runs started per minute, at most', integerOption(1, 100_000))
    .option('--threshold <n|percent>', 'failures in a wave that pause the campaign: 2, or 5% (default 5%)')
    .option('--approval', "wait for an operator's approval before each wave after the first")
    .option('--window <HH:MM-HH:MM>', 'maintenance window: no run starts outside it (may cross midnight)')
    .option('--time-zone <zone>', "the window's IANA time zone, e.g. Europe/Paris")
    .option('--policy <policy>', `failure policy of every run: ${policySyntax}`, parsePolicy)
    .option('--offline-attempts <n>', 'tries in all for a device that does not answer (default 3)', integerOption(1, 10))
    .option('--retry-delay <seconds>', 'wait before retrying offline devices after the last wave (default 60)', integerOption(0, 86_400))
    .addOption(transportOption("how every file of the campaign's runs moves (default: each device's, else the manager's)"))
    .addOption(timeLimitsOption("the runs' phase time limits in seconds, above the manager's"))
    .addOption(reinstallOption())
    .addOption(converterOption())
    .addOption(
      stageOption(
        'stage every device at once, nothing rebooted; the campaign activates them wave by wave, inside its window (a device in it stays staged until then)',
      ),
    )
    .addOption(whenIdleOption())
    .addOption(skipChecksOption())
    .addOption(operatorOption())
    .option('--json', 'print JSON')
    .addOption(serverOption())
    .action(async (options: CreateOptions) => {
      const fromFile = options.file ? readCampaignFile(options.file) : {};
      const given: Record<string, unknown> = { ...fromFile, ...requestFromFlags(options) };
      if (given.image === undefined) throw new UsageFailure('give the image: --image FILE|SHA256 (or image: in the campaign file)');
      // Checked here as the manager will check it, so that a mistake is found before an image is sent.
      try {
        checkCampaignRequest({ ...given, image: String(given.image) });
      } catch (error) {
        if (error instanceof CampaignRequestError)
          throw new UsageFailure(error.problems.length > 1 ? `the campaign has problems:\n  ${error.problems.join('\n  ')}` : error.message);
        throw error;
      }
      const api = new ApiClient(options.server);
      const created = await withManager(async () => {
        const image = await resolveImage(api, String(given.image));
        const more = Array.isArray(given.images) ? await Promise.all(given.images.map((i) => resolveImage(api, String(i)))) : undefined;
        return api.post<CampaignJson>('/api/campaigns', {
          body: { ...given, image: image.sha256, ...(more ? { images: more.map((i) => i.sha256) } : {}), operator: operatorName(options.operator) },
        });
      });
      if (options.json) printJson(created);
      else
        process.stdout.write(
          `campaign ${created.id} created: ${created.stages.length} wave(s) of ${created.stages.map((s) => s.size).join(', ')} device(s) to ${created.imageVersion}\n  follow it: safeflash campaign show ${created.id}\n`,
        );
    });

  viewCommand<CampaignJson[]>(campaign, {
    name: 'list',
    description: 'list campaigns, newest first',
    path: () => '/api/campaigns',
    text: (list) => (list.length === 0 ? 'no campaigns\n' : campaignTable(list)),
  });

  viewCommand<CampaignDetailJson>(campaign, {
    name: 'show',
    description: 'a campaign: its waves with counters, every device with its run, every event',
    argument: { name: '<campaign>', description: 'campaign id' },
    path: (id) => `/api/campaigns/${encodeURIComponent(id)}`,
    text: describeCampaign,
  });

  const controls = {
    pause: 'pause: no new run starts; runs under way carry on',
    resume: 'resume a paused campaign',
    abort: 'abort: no new run starts; runs under way reach their safe end (complete or roll back)',
    approve: 'approve the wave that awaits approval',
  } as const;
  for (const [action, description] of Object.entries(controls) as Array<[keyof typeof controls, string]>) {
    const command = campaign
      .command(action)
      .description(description)
      .argument('<campaign>', 'campaign id')
      .addOption(operatorOption())
      .option('--json', 'print JSON')
      .addOption(serverOption());
    if (action === 'approve')
      command.addOption(new Option('--wave <n>', 'the wave you approve (refused if another one waits)').argParser(integerOption(1, 1000)));
    command.action(async (id: string, options: { operator?: string; wave?: number; json?: boolean; server: string }) => {
      const api = new ApiClient(options.server);
      const body = { operator: operatorName(options.operator), ...(options.wave !== undefined ? { wave: options.wave } : {}) };
      const after = await withManager(() => api.post<CampaignJson>(`/api/campaigns/${encodeURIComponent(id)}/${action}`, { body }));
      if (options.json) printJson(after);
      else
        process.stdout.write(
          `campaign ${after.id}: ${after.state}${after.pauseCause ? ` (${after.pauseCause})` : ''}, ${stageName(after.stage)}, ${progress(after.counters)}\n`,
        );
    });
  }
}
