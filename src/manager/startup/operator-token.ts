// The first operator token. A manager that starts without <dataDir>/operator.token creates an operator
// token and writes it there (mode 0600), so that the operator who started it can use the CLI at once;
// the CLI reads that file by default. The file is written only when absent: a bootstrap token an
// operator revoked stays revoked across restarts. Deleting the file and restarting makes a new one
// (whoever can do that owns the data directory anyway). The token itself is never logged.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { TokenError, type TokenStore } from '../store/tokens.ts';

export const operatorTokenFileName = 'operator.token';

export function operatorTokenFile(dataDir: string): string {
  return join(dataDir, operatorTokenFileName);
}

async function readToken(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Makes sure <dataDir>/operator.token exists; returns its path. */
export async function ensureOperatorToken(tokens: TokenStore, dataDir: string, log: Logger): Promise<string> {
  const file = operatorTokenFile(dataDir);
  const existing = await readToken(file);
  if (existing !== undefined) {
    if (!(await tokens.isValid(existing)))
      log.warn({ file }, 'the operator token file holds a token that is unknown or revoked; delete the file and restart to get a new one');
    return file;
  }
  let created: Awaited<ReturnType<typeof tokens.create>>;
  try {
    created = await tokens.create('bootstrap', 'operator');
  } catch (error) {
    // Another manager on a shared database holds the name.
    if (!(error instanceof TokenError && error.problem === 'nameTaken')) throw error;
    created = await tokens.create(`bootstrap-${randomBytes(3).toString('hex')}`, 'operator');
  }
  await mkdir(dirname(file), { recursive: true });
  // 'wx': never overwrite a file another process wrote meanwhile; 0600: the token is a credential.
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    await tokens.revoke(String(created.id));
    return file;
  }
  try {
    await handle.writeFile(`${created.token}\n`);
  } finally {
    await handle.close();
  }
  log.info({ file, tokenId: created.id, name: created.name }, 'operator token created');
  return file;
}
