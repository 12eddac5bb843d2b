// `safeflash decide RUN retry|abort|keep`: answer a run that asks, optionally with a corrected image
// (upgrade phase) or an edited configuration (migrate and restore phases).
import { readFileSync } from 'node:fs';
import { Argument, type Command } from 'commander';
import type { DecisionAnswer } from '../../manager/store/records.ts';
import { ApiClient, serverOption, withManager } from './api-client.ts';
import type { DecisionJson } from './api-types.ts';
import { resolveImage } from './image-upload.ts';
import { operatorName, operatorOption } from './operator-name.ts';
import { CommandFailure, UsageFailure } from './program.ts';
import { printJson, shortSha } from './table.ts';

const answers: Record<string, DecisionAnswer> = { retry: 'retry', abort: 'abort', keep: 'keepNewSoftware' };

export interface DecisionRequest {
  answer: DecisionAnswer;
  image?: string;
  config?: string;
  operator: string;
}

export async function sendDecision(api: ApiClient, runId: string, request: DecisionRequest): Promise<DecisionJson> {
  return api.post<DecisionJson>(`/api/runs/${encodeURIComponent(runId)}/decision`, { body: request });
}

export function registerDecideCommand(program: Command): void {
  program
    .command('decide')
    .description('answer a run that waits for an operator')
    .argument('<run>', 'run id')
    .addArgument(new Argument('<answer>', 'retry the failed phase, abort (full rollback), or keep the new software').choices(Object.keys(answers)))
    .option('--image <file|sha256>', 'retry the upgrade with this image instead (a file, or one the manager holds)')
    .option('--config <file>', 'retry the restore with this edited configuration file')
    .addOption(operatorOption())
    .option('--json', 'print JSON')
    .addOption(serverOption())
    .action(async (runId: string, answer: string, options: { image?: string; config?: string; operator?: string; json?: boolean; server: string }) => {
      if ((options.image || options.config) && answer !== 'retry') throw new UsageFailure('--image and --config go with "retry" only');
      let config: string | undefined;
      if (options.config) {
        try {
          config = readFileSync(options.config, 'utf8');
        } catch (error) {
          throw new CommandFailure(`cannot read configuration ${options.config}: ${(error as Error).message}`);
        }
      }
      const api = new ApiClient(options.server);
      const decision = await withManager(async () => {
        const image = options.image ? await resolveImage(api, options.image) : undefined;
        return sendDecision(api, runId, {
          answer: answers[answer]!,
          ...(image ? { image: image.sha256 } : {}),
          ...(config !== undefined ? { config } : {}),
          operator: operatorName(options.operator),
        });
      });
      if (options.json) printJson(decision);
      else {
        const extra = [
          decision.imageSha256 ? `image ${shortSha(decision.imageSha256)}` : '',
          decision.backupSha256 ? `configuration ${shortSha(decision.backupSha256)}` : '',
        ]
          .filter(Boolean)
          .join(', ');
        process.stdout.write(`run ${runId}: ${decision.answer}${extra ? ` with ${extra}` : ''}, recorded for ${decision.actor}\n`);
      }
    });
}
