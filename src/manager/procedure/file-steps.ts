// Durable steps around the file service: offers the device will use, the backup it uploaded, and the
// migration of a configuration (stored as a new file; the one it came from is only read).
import { durableStep, ridingWithJournal } from './run-journal.ts';
import type { Endpoint } from '../../protocol/endpoint.ts';
import type { TransferProtocol } from '../../protocol/transfer-contract.ts';
import type { FamilyName } from '../../families/family.ts';
import { family as familyNamed } from '../../families/families.ts';
import { compareTexts, type TextComparison } from '../../families/configuration-text.ts';
import { migrateConfigFile } from '../../protocol/config/migrations/registry.ts';
import type { FileOffer, ProcedureFiles } from './procedure-deps.ts';
import { configFile } from './run-steps.ts';
import type { ConfigFile, Outcome } from './step-types.ts';
import { BackupError } from '../files/backup-error.ts';

/**
 * An offer as the run's journal records it: an FTP transfer's user name without its password, which
 * startOperation derives again when it orders the device (the journal is a table anyone with the
 * database can read).
 */
function recorded(offer: FileOffer): FileOffer {
  const { password: _password, ...rest } = offer;
  return rest;
}

export function registerFileSteps(files: ProcedureFiles) {
  return {
    // An offer's row rides with the run's next answers: written before the order that names it.
    expectBackup: durableStep(
      'safeflash.expectBackup',
      async (protocol: TransferProtocol): Promise<FileOffer> => recorded(await files.expectBackup(protocol, ridingWithJournal)),
    ),
    offerImage: durableStep(
      'safeflash.offerImage',
      async (sha256: string, protocol: TransferProtocol): Promise<FileOffer> => recorded(await files.offerImage(sha256, protocol, ridingWithJournal)),
    ),
    offerConfig: durableStep(
      'safeflash.offerConfig',
      async (sha256: string, protocol: TransferProtocol): Promise<FileOffer> => recorded(await files.offerConfig(sha256, protocol, ridingWithJournal)),
    ),
    /** Whether `server` is this manager's own server of `protocol` (a step: the answer depends on which manager runs the run). */
    offeredHere: durableStep('safeflash.offeredHere', async (protocol: TransferProtocol, server: Endpoint): Promise<boolean> => {
      const here = files.endpoint(protocol);
      return here.address === server.address && here.port === server.port;
    }),

    /** The uploaded backup, checked and stored, or why there is none (BackupError's reason). */
    collectBackup: durableStep(
      'safeflash.collectBackup',
      async (offer: FileOffer, deviceId: number, runId: string, family: FamilyName = 'safeflash'): Promise<Outcome<{ config: ConfigFile }>> => {
        try {
          return { ok: true, config: configFile(await files.collectBackup(offer, { deviceId, runId, family })) };
        } catch (error) {
          return { ok: false, cause: error instanceof BackupError ? error.reason : 'unknown', message: (error as Error).message };
        }
      },
    ),

    /**
     * A configuration read back against the one restored, by the family's text rules: equal once the
     * lines that change by themselves are left out, and which lines those were.
     */
    compareConfigs: durableStep(
      'safeflash.compareConfigs',
      async (expectedSha256: string, foundSha256: string, family: FamilyName): Promise<TextComparison> => {
        const rules = familyNamed(family).configuration;
        if (!rules) {
          const equal = expectedSha256 === foundSha256;
          return { equal, ignored: [], differing: equal ? [] : [`- ${expectedSha256}`, `+ ${foundSha256}`] };
        }
        const [expected, found] = await Promise.all([files.readBackup(expectedSha256), files.readBackup(foundSha256)]);
        return compareTexts(expected.toString('utf8'), found.toString('utf8'), rules);
      },
    ),

    /**
     * `source` converted to `toFormat` for `model`, stored as a migrated file derived from it: by the
     * reference migrations, or by the family's own for a family that keeps its configuration as its text.
     */
    migrate: durableStep(
      'safeflash.migrate',
      async (
        source: ConfigFile,
        model: string,
        toFormat: number,
        deviceId: number,
        runId: string,
        family: FamilyName = 'safeflash',
      ): Promise<Outcome<{ config: ConfigFile; steps: string[] }>> => {
        let migrated: { text: Buffer; steps: string[] };
        try {
          const text = await files.readBackup(source.sha256);
          const rules = familyNamed(family).configuration;
          migrated = rules ? rules.migrate(text, model, toFormat) : migrateConfigFile(text, model, toFormat);
        } catch (error) {
          return { ok: false, cause: 'migrationFailed', message: (error as Error).message };
        }
        if (migrated.steps.length === 0) return { ok: true, config: source, steps: [] };
        const stored = await files.storeConfig(migrated.text, { deviceId, runId, kind: 'migrated', derivedFrom: source.sha256, family });
        return { ok: true, config: configFile(stored), steps: migrated.steps };
      },
    ),
  };
}

export type FileSteps = ReturnType<typeof registerFileSteps>;
