// Why a phase attempt failed, in one vocabulary: what the device reports (SfFailCause) and what the
// manager judges for itself. Failures, timelines, decisions, metrics and campaign verdicts all speak it.
import type { SnmpFailure } from '../../protocol/snmp/errors.ts';
import { failCauses } from '../../protocol/vocabulary.ts';
import type { BackupFailure } from '../files/backup-error.ts';

/** The manager's own causes: judgements the device does not make, or failures before the device is reached. */
export const managerCauses = [
  /** The device did not answer, or an operation did not end within its time limit. */
  'silent',
  /** The device no longer has the operation row it was given (it lost power or was reset). */
  'operationLost',
  /** The device booted its other bank instead of the new software. */
  'fellBack',
  /** What the device reads back is not what was ordered (version, bank, configuration). */
  'mismatch',
  /** The image is for another model than the device. */
  'wrongModel',
  /** The image is for another family than the device's (a reference IAD image for a modem, say). */
  'wrongFamily',
  /** The configuration could not be converted to the format the new software reads. */
  'migrationFailed',
  /** A backup that is not usable (BackupFailure; tooLarge is one of the device's causes too). */
  'missing',
  'empty',
  'unparsable',
  /** The device's address is outside the networks the manager may talk to. */
  'networkNotAllowed',
  /** The device refused an order (an SNMP error status other than resourceUnavailable, which is busy). */
  'refused',
  /** An SNMP request failed other than by silence (SnmpFailure). */
  'authentication',
  'invalidResponse',
  'socket',
  /** An operator cancelled the run. */
  'cancelled',
  /** A pre-check refused to go on, or a post-check found the device worse than before (procedure/checks.ts). */
  'checkFailed',
  /** The device kept calls in progress longer than an activation waits for it to be idle. */
  'notIdle',
  /** The rollback could not bring the device back as it was found. */
  'rollbackFailed',
  /** The device's family cannot carry out the order (e.g. a cable modem ordered back to its old software). */
  'notSupported',
  /**
   * A transfer failed whose file another manager had offered: the manager that ran the run before this
   * one (it died, or stopped, and this one took the run over). Not the device's failure: the transfer
   * is offered again from this manager, without counting against the phase's retries.
   */
  'managerChanged',
] as const;

export const causes = [...failCauses, ...managerCauses] as const;
export type Cause = (typeof causes)[number];

/** Why a timeline line that is no failure was written. */
export const eventNotes = [
  /** The run installs the image the device already runs, as asked. */
  'reinstall',
  /** A failed upgrade left the device on its original bank: no revert needed. */
  'nothingToRevert',
  /** The device runs the new software after all: a revert would undo it. */
  'newSoftwareRunning',
  /** A run found without its workflow at start (startup/orphan-runs.ts). */
  'workflowMissing',
] as const;
export type EventNote = (typeof eventNotes)[number];

// The failures other modules name are causes as they are: these lines stop compiling when one of them grows.
type IsCause<T extends Cause> = T;
export type BackupCause = IsCause<BackupFailure>;
export type SnmpCause = IsCause<Exclude<SnmpFailure, 'timeout' | 'errorStatus'>>;
