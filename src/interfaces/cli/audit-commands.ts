// `safeflash audit export`: the operators' actions the manager recorded, as JSON lines, oldest first,
// read from /api/audit a page at a time so that a long window is printed whole.
import { Option, type Command } from 'commander';
import { ApiClient, serverOption, withManager } from './api-client.ts';
import { UsageFailure } from './program.ts';
import { parseTimeOption } from './time-option.ts';
import { auditActions } from '../../manager/store/actions.ts';

interface AuditEntryJson {
  at: string;
  actor: string;
  action: string;
  target: Record<string, unknown>;
  detail: Record<string, unknown>;
}

const pageSize = 10_000;

async function exportAudit(options: { since: Date; until?: Date; server: string }): Promise<void> {
  const until = options.until ?? new Date();
  if (until.getTime() <= options.since.getTime()) {
    throw new UsageFailure(`--until (${until.toISOString()}) must be after --since (${options.since.toISOString()})`);
  }
  const api = new ApiClient(options.server);
  let since = options.since.toISOString();
  // The next page starts at the last entry's time, which the manager keeps finer than milliseconds:
  // the entries of that millisecond already printed are skipped, not printed twice.
  let printedAtBoundary = new Set<string>();
  for (;;) {
    const query = new URLSearchParams({ since, until: until.toISOString(), limit: String(pageSize) });
    const page = await withManager(() => api.get<{ entries: AuditEntryJson[]; more: boolean }>(`/api/audit?${query}`));
    const lines: string[] = [];
    for (const entry of page.entries) {
      const line = JSON.stringify(entry);
      if (entry.at === since && printedAtBoundary.has(line)) continue;
      lines.push(line);
    }
    if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
    const last = page.entries.at(-1);
    if (!page.more || !last) return;
    const boundary = page.entries.filter((entry) => entry.at === last.at).map((entry) => JSON.stringify(entry));
    printedAtBoundary = last.at === since ? new Set([...printedAtBoundary, ...boundary]) : new Set(boundary);
    since = last.at;
  }
}

export function registerAuditCommands(program: Command): void {
  const audit = program
    .command('audit')
    .description('what operators did, as the manager recorded it: runs, decisions, campaigns, tokens, images, the inventory');
  audit
    .command('export')
    .description(`print the operators' actions as JSON lines, oldest first: {at, actor, action, target, detail}; actions: ${auditActions.join(', ')}`)
    .addOption(
      new Option('--since <time>', 'from this time: ISO 8601 with its zone (2026-05-01T08:00:00Z) or a duration back from now (30m, 24h, 7d)')
        .argParser((value: string) => parseTimeOption(value))
        .makeOptionMandatory(),
    )
    .addOption(new Option('--until <time>', 'up to this time, excluded (same forms; default now)').argParser((value: string) => parseTimeOption(value)))
    .addOption(serverOption())
    .action(async (options: { since: Date; until?: Date; server: string }) => exportAudit(options));
}
