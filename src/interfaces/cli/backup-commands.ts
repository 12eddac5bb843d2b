// `safeflash backup DEVICE` takes a configuration backup now; `safeflash backups list DEVICE` lists the
// configurations the manager holds for a device, with their digests.
import type { TimeLimits } from '../../manager/store/records.ts';
import type { TransferProtocol } from '../../protocol/transfer-contract.ts';
import { timeLimitsOption, transportOption } from './run-options-option.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { ApiClient, serverOption, withManager } from './api-client.ts';
import { finalStates, type BackupJson, type RunDetailJson } from './api-types.ts';
import { operatorName, operatorOption } from './operator-name.ts';
import { CommandFailure, integerOption } from './program.ts';
import { formatTable, printJson, shortSha, when } from './table.ts';
import { viewCommand } from './view-command.ts';

const pollMs = 500;

export function registerBackupCommands(program: Command): void {
  program
    .command('backup')
    .description("back up a device's configuration now (waits for the verified backup unless --no-wait)")
    .argument('<device>', 'device id, name or address')
    .option('--no-wait', 'start the backup and print its run id')
    .addOption(transportOption("how the device uploads its configuration (default: the device's, else the manager's)"))
    .addOption(timeLimitsOption('the backup time limit in seconds, e.g. backup=60'))
    .option('--timeout <seconds>', 'give up waiting after this long (the backup goes on)', integerOption(1, 86_400), 600)
    .addOption(operatorOption())
    .option('--json', 'print JSON')
    .addOption(serverOption())
    .action(
      async (
        device: string,
        options: {
          wait: boolean;
          timeout: number;
          operator?: string;
          json?: boolean;
          server: string;
          transport?: TransferProtocol;
          timeLimits?: Partial<TimeLimits>;
        },
      ) => {
        const api = new ApiClient(options.server);
        const { runId } = await withManager(() =>
          api.post<{ runId: string }>(`/api/devices/${encodeURIComponent(device)}/backup`, {
            body: {
              operator: operatorName(options.operator),
              ...(options.transport ? { transport: options.transport } : {}),
              ...(options.timeLimits ? { timeLimits: options.timeLimits } : {}),
            },
          }),
        );
        if (!options.wait) {
          if (options.json) printJson({ runId });
          else process.stdout.write(`backup of ${device} started: run ${runId} (safeflash runs show ${runId})\n`);
          return;
        }
        let detail: RunDetailJson | undefined;
        for (let waited = 0; waited <= options.timeout * 1000; waited += pollMs) {
          detail = await withManager(() => api.get<RunDetailJson>(`/api/runs/${encodeURIComponent(runId)}`));
          if (finalStates.includes(detail.run.state)) break;
          await sleep(pollMs);
        }
        if (options.json) printJson(detail);
        const run = detail!.run;
        if (!finalStates.includes(run.state))
          throw new CommandFailure(`backup run ${runId} is still ${run.state} after ${options.timeout} s; follow it with safeflash runs show ${runId}`);
        if (run.state !== 'verified')
          throw new CommandFailure(`backup of ${device} ${run.state}: ${run.outcome?.summary ?? `see safeflash runs show ${runId}`}`);
        if (!options.json) process.stdout.write(`backup of ${device} verified: ${run.outcome?.backupSha256 ?? '?'} (run ${runId})\n`);
      },
    );

  const backups = program.command('backups').description('configurations the manager holds for devices');
  viewCommand<BackupJson[]>(backups, {
    name: 'list',
    description: "list a device's backups, migrated configurations and operator edits, with digests",
    argument: { name: '<device>', description: 'device id, name or address' },
    path: (device) => `/api/devices/${encodeURIComponent(device)}/backups`,
    text: (list, device) =>
      list.length === 0
        ? `no backups of ${device}; take one with safeflash backup ${device}\n`
        : formatTable(
            ['SHA256', 'KIND', 'FORMAT', 'CONFIG DIGEST', 'BYTES', 'FROM', 'RUN', 'TAKEN'],
            list.map((b) => [
              b.sha256,
              b.kind,
              String(b.configFormat),
              b.configDigest,
              String(b.size),
              shortSha(b.derivedFrom),
              b.runId ?? '-',
              when(b.takenAt),
            ]),
          ),
  });
}
