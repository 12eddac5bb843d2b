// The checks a configuration file passes before the manager keeps it: not empty, within the size
// cap, and a valid configuration of a format this build knows.
import { createHash } from 'node:crypto';
import { ConfigError, configDigest, parseConfig } from '../../protocol/config.ts';
import { BackupError } from './backup-error.ts';

export interface CheckedConfig {
  /** SHA-256 (hex) of the file's bytes: its name in the content store. */
  sha256: string;
  /** SHA-256 of the canonical configuration, as a device reports its running one. */
  configDigest: string;
  configFormat: number;
  size: number;
}

export function checkConfigFile(bytes: Buffer, maxBytes: number, what: string): CheckedConfig {
  if (bytes.length === 0) throw new BackupError('empty', `${what} is empty`);
  if (bytes.length > maxBytes) throw new BackupError('tooLarge', `${what} has ${bytes.length} bytes, more than the ${maxBytes} accepted for a configuration`);
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(bytes);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new BackupError('unparsable', `${what} is not a valid configuration: ${error.message}`);
  }
  return {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    configDigest: configDigest(config),
    configFormat: config.format,
    size: bytes.length,
  };
}
