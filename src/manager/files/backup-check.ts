// The checks a configuration file passes before the manager keeps it: not empty, within the size
// cap, and a valid configuration: of a format this build knows, or, for a family that keeps its
// configuration as its own text, one that family's text rules accept.
import { createHash } from 'node:crypto';
import { ConfigError, configDigest, parseConfig } from '../../protocol/config.ts';
import { BackupError } from './backup-error.ts';
import { textDigest } from '../../families/configuration-text.ts';
import type { ConfigurationText } from '../../families/family.ts';

export interface CheckedConfig {
  /** SHA-256 (hex) of the file's bytes: its name in the content store. */
  sha256: string;
  /** SHA-256 of the canonical configuration, as a device reports its running one. */
  configDigest: string;
  configFormat: number;
  size: number;
}

/** `text`: the family's text rules; absent for the reference format. */
export function checkConfigFile(bytes: Buffer, maxBytes: number, what: string, text?: ConfigurationText): CheckedConfig {
  if (bytes.length === 0) throw new BackupError('empty', `${what} is empty`);
  if (bytes.length > maxBytes) throw new BackupError('tooLarge', `${what} has ${bytes.length} bytes, more than the ${maxBytes} accepted for a configuration`);
  if (text) return checkText(bytes, what, text);
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

function checkText(bytes: Buffer, what: string, rules: ConfigurationText): CheckedConfig {
  const text = bytes.toString('utf8');
  const problems = Buffer.from(text, 'utf8').equals(bytes) ? rules.problems(text) : ['it is not UTF-8 text'];
  if (problems.length > 0) throw new BackupError('unparsable', `${what} is not a valid configuration: ${problems.join('; ')}`);
  return {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    configDigest: textDigest(text, rules),
    configFormat: rules.formatOf(text) ?? 0,
    size: bytes.length,
  };
}
