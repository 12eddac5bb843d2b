// `safeflash token create|list|revoke`: the API's tokens, managed through the API with an operator
// token. A new token is printed once; the manager keeps only its digest.
import { Option, type Command } from 'commander';
import { ApiClient, serverOption, withManager } from './api-client.ts';
import { formatTable, printJson, when } from './table.ts';
import { viewCommand } from './view-command.ts';

interface TokenJson {
  id: number;
  name: string;
  role: 'viewer' | 'operator';
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

function tokenTable(tokens: TokenJson[]): string {
  return formatTable(
    ['ID', 'NAME', 'ROLE', 'CREATED', 'LAST USED', 'REVOKED'],
    tokens.map((t) => [String(t.id), t.name, t.role, when(t.createdAt), when(t.lastUsedAt), when(t.revokedAt)]),
  );
}

export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('API tokens: viewer (read only) or operator (everything)');

  token
    .command('create')
    .description('create a token and print it (shown this once; the manager keeps only its digest)')
    .requiredOption('--name <name>', 'who or what holds it (letters, digits, . _ @ -; unique among tokens not revoked)')
    .addOption(new Option('--role <role>', 'viewer: may only read; operator: may act').choices(['viewer', 'operator']).makeOptionMandatory())
    .option('--json', 'print JSON')
    .addOption(serverOption())
    .action(async (options: { name: string; role: string; json?: boolean; server: string }) => {
      const api = new ApiClient(options.server);
      const created = await withManager(() => api.post<TokenJson & { token: string }>('/api/tokens', { body: { name: options.name, role: options.role } }));
      if (options.json) {
        printJson(created);
        return;
      }
      process.stderr.write(`created ${created.role} token ${created.name} (id ${created.id}); it is shown this once:\n`);
      process.stdout.write(`${created.token}\n`);
    });

  viewCommand<TokenJson[]>(token, {
    name: 'list',
    description: 'list the tokens (never their secrets), revoked ones too',
    path: () => '/api/tokens',
    text: tokenTable,
  });

  token
    .command('revoke')
    .description('revoke a token: requests made with it are refused from now on')
    .argument('<token>', 'token id or name')
    .addOption(serverOption())
    .action(async (reference: string, options: { server: string }) => {
      const api = new ApiClient(options.server);
      const revoked = await withManager(() => api.delete<TokenJson>(`/api/tokens/${encodeURIComponent(reference)}`));
      process.stdout.write(`revoked ${revoked.role} token ${revoked.name} (id ${revoked.id})\n`);
    });
}
