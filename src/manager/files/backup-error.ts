// Why an uploaded or supplied configuration was not taken as a backup.

/**
 * - missing: nothing arrived under the offered name (or no such upload was offered).
 * - empty: the file arrived with no bytes.
 * - unparsable: the file is not a valid configuration (header, syntax or content).
 * - tooLarge: bigger than the manager accepts for a configuration.
 */
export type BackupFailure = 'missing' | 'empty' | 'unparsable' | 'tooLarge';

export class BackupError extends Error {
  override name = 'BackupError';
  constructor(
    readonly reason: BackupFailure,
    message: string,
  ) {
    super(message);
  }
}

export function isBackupFailure(value: string): value is BackupFailure {
  return value === 'missing' || value === 'empty' || value === 'unparsable' || value === 'tooLarge';
}
