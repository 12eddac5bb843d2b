// The manager's secrets key: 32 random bytes in a file only its owner may read, made on first start
// (<data-dir>/secrets.key unless `serve --secrets-key FILE` names another). It seals the SNMP
// credentials of the inventory and derives the FTP passwords handed to devices; managers sharing a
// database must share it. A file that is not exactly a key, or that others may read, is refused
// rather than used or replaced: replacing it would lose every credential sealed with it.
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const secretsKeyFileName = 'secrets.key';
export const secretsKeyBytes = 32;

export class SecretsKeyError extends Error {
  override name = 'SecretsKeyError';
}

export function defaultSecretsKeyFile(dataDir: string): string {
  return join(dataDir, secretsKeyFileName);
}

/** The key in `file`, made (mode 0600) when there is no file yet. */
export function loadSecretsKey(file: string): Buffer {
  return readKey(file) ?? createKey(file);
}

function readKey(file: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SecretsKeyError(`secrets key ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new SecretsKeyError(`secrets key ${file} is not a regular file`);
    if ((stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      throw new SecretsKeyError(`secrets key ${file} has mode ${mode}: it must be readable by its owner only (chmod 600 ${file})`);
    }
    const key = readFileSync(fd);
    if (key.length !== secretsKeyBytes) {
      throw new SecretsKeyError(
        `secrets key ${file} holds ${key.length} bytes, not ${secretsKeyBytes}: it is not a key this manager made (a copy from another manager must be byte for byte)`,
      );
    }
    return key;
  } finally {
    closeSync(fd);
  }
}

function createKey(file: string): Buffer {
  mkdirSync(dirname(file), { recursive: true });
  const key = randomBytes(secretsKeyBytes);
  let fd: number;
  try {
    // 'wx': two managers starting on one data directory must not each write a different key.
    fd = openSync(file, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadSecretsKey(file);
    throw new SecretsKeyError(`secrets key ${file} cannot be created: ${(error as Error).message}`, { cause: error });
  }
  try {
    writeSync(fd, key);
  } finally {
    closeSync(fd);
  }
  return key;
}
