// A run's configurations side by side, for the operator's report: the original backup, the one restored
// (its migration to the new software's format, or an operator's edit; the original itself when neither
// was needed), and what the device runs afterwards, with the line diffs between them. Read-only.
import { diffLines, type DiffLine } from '../common/line-diff.ts';
import type { BackupKind, BackupRecord, RunEvent, RunRecord } from './store/records.ts';

export interface ShownConfig {
  sha256: string;
  kind: BackupKind;
  configFormat: number;
  configDigest: string;
  text: string;
}

export interface RunConfigurations {
  original: ShownConfig | null;
  restored: ShownConfig | null;
  /**
   * What the device runs at the run's end: its configuration digest as last read, which of the two it
   * is (a rolled-back device runs the original), and the text where the device's family is verified by
   * backing it up again.
   */
  readBack: { configDigest: string | null; matches: 'restored' | 'original' | 'neither' | null; text: string | null };
  diffs: Array<{ from: 'original' | 'restored'; to: 'restored' | 'readBack'; lines: DiffLine[] }>;
}

export interface ConfigurationSource {
  backup(sha256: string): Promise<BackupRecord | undefined>;
  listBackups(deviceId: number): Promise<BackupRecord[]>;
  readBackup(sha256: string): Promise<Buffer>;
}

/**
 * Which files were which is read from the run's record: its outcome names the original backup, the
 * timeline each migration (from, to) and each read-back (restored, read back). Files are content-
 * addressed, so a file another run stored first is this run's too.
 */
export async function runConfigurations(
  run: RunRecord,
  timeline: ReadonlyArray<Pick<RunEvent, 'kind' | 'detail'>>,
  source: ConfigurationSource,
): Promise<RunConfigurations> {
  /** The latest of these facts in the timeline, each named by the event kind that carries it. */
  const last = (...facts: Array<[RunEvent['kind'], string]>): string | undefined => {
    const found = timeline.flatMap((event) =>
      facts.filter(([kind, fact]) => event.kind === kind && typeof event.detail[fact] === 'string').map(([, fact]) => event.detail[fact]),
    );
    return found.at(-1) as string | undefined;
  };
  const latestOwnBackup = async () =>
    (await source.listBackups(run.deviceId))
      .filter((backup) => backup.runId === run.id && backup.kind === 'backup')
      .sort((a, b) => a.takenAt.getTime() - b.takenAt.getTime())
      .at(-1)?.sha256;
  const originalSha = run.outcome?.backupSha256 ?? last(['migration', 'from']) ?? (await latestOwnBackup());
  // What was restored: the latest migration, or an operator's edit handed in with a retry, or the original.
  const restoredSha = last(['readBack', 'restored'], ['migration', 'to'], ['decision', 'backupSha256']) ?? originalSha;
  const show = async (sha256: string | undefined): Promise<ShownConfig | null> => {
    const record = sha256 ? await source.backup(sha256) : undefined;
    if (!record) return null;
    return {
      sha256: record.sha256,
      kind: record.kind,
      configFormat: record.configFormat,
      configDigest: record.configDigest,
      text: (await source.readBackup(record.sha256)).toString('utf8'),
    };
  };
  const [original, restored, readBackFile] = await Promise.all([show(originalSha), show(restoredSha), show(last(['readBack', 'readBack']))]);
  const readDigest = readBackFile?.configDigest ?? run.outcome?.configDigest ?? null;
  const matches =
    readDigest === null ? null : readDigest === restored?.configDigest ? 'restored' : readDigest === original?.configDigest ? 'original' : 'neither';
  const diffs: RunConfigurations['diffs'] = [];
  if (original && restored && original.sha256 !== restored.sha256)
    diffs.push({ from: 'original', to: 'restored', lines: diffLines(lines(original.text), lines(restored.text)) });
  if (restored && readBackFile && readBackFile.sha256 !== restored.sha256)
    diffs.push({ from: 'restored', to: 'readBack', lines: diffLines(lines(restored.text), lines(readBackFile.text)) });
  return { original, restored, readBack: { configDigest: readDigest, matches, text: readBackFile?.text ?? null }, diffs };
}

function lines(text: string): string[] {
  return text.replace(/\n$/, '').split('\n');
}
