// Why a configuration could not be converted. The manager shows `problems` to the operator, who can edit
// the configuration, retry or abort; the original backup is never changed either way.

export type MigrationFailure =
  /** The configuration handed in does not validate against its own format: nothing to convert from. */
  | 'invalidInput'
  /** No chain of steps leads from the configuration's format to the wanted one for this model. */
  | 'noPath'
  /** A converted configuration does not validate against the target format. */
  | 'invalidResult'
  /** The configuration holds customer values the target format has no place for; converting would lose them. */
  | 'unrepresentable';

export class MigrationError extends Error {
  override name = 'MigrationError';
  constructor(
    readonly reason: MigrationFailure,
    /** Each problem on its own line, "[section] key: what is wrong" where one key is at fault. */
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(MigrationError.summary(reason, problems), options);
  }

  private static summary(reason: MigrationFailure, problems: readonly string[]): string {
    const heading: Record<MigrationFailure, string> = {
      invalidInput: 'the configuration to convert is not valid',
      noPath: 'no migration path',
      invalidResult: 'the converted configuration is not valid',
      unrepresentable: 'the target format cannot hold every customer value',
    };
    return problems.length === 1 ? `${heading[reason]}: ${problems[0]}` : `${heading[reason]} (${problems.length} problems):\n  ${problems.join('\n  ')}`;
  }
}
