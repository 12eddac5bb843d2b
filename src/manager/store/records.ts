// What the manager keeps in PostgreSQL, as TypeScript sees it. One record type per table; the SQL is
// in schema.ts. Credentials live in device rows and never leave the manager (see publicDevice).
import type { FamilyName } from '../../families/family.ts';
import type { SnmpSecurity } from '../../protocol/snmp/security.ts';
import type { Bank, BankState, OperationType } from '../../protocol/vocabulary.ts';
import type { TransferProtocol } from '../../protocol/transfer-contract.ts';
import type { Cause, EventNote } from '../procedure/causes.ts';
import type { CheckName } from '../procedure/checks.ts';

export interface DeviceRecord {
  id: number;
  /** Operator's name for the unit; unique. Defaults to its address. */
  name: string;
  address: string;
  port: number;
  security: SnmpSecurity;
  tags: string[];
  /** Which family drives the device (src/families/). */
  family: FamilyName;
  /** What the device said last time it was read (discover, preflight, verify). */
  model: string | null;
  serial: string | null;
  runningVersion: string | null;
  configFormat: number | null;
  activeBank: Bank | null;
  /** Each bank's state, version and configuration format when the device was last read. */
  banks: DeviceBank[] | null;
  addedAt: Date;
  lastSeenAt: Date | null;
  /** How this device moves files unless a run or its campaign says otherwise; null: the manager's default. */
  transport: TransferProtocol | null;
}

export interface DeviceBank {
  bank: Bank;
  state: BankState;
  version: string;
  configFormat: number;
  /** The SHA-256 of the image payload in the bank, where the device reports it. */
  imageDigest?: string;
}

/** A device as shown to operators and API clients: everything but the credentials. */
export type PublicDevice = Omit<DeviceRecord, 'security'> & { securityModel: 'v3' | 'v2c' };

export function publicDevice(device: DeviceRecord): PublicDevice {
  const { security, ...rest } = device;
  return { ...rest, securityModel: security.version };
}

/** A signed software image the manager serves; identified by the SHA-256 of the whole file. */
export interface ImageRecord {
  sha256: string;
  model: string;
  version: string;
  configFormat: number;
  size: number;
  addedAt: Date;
  /** SHA-256 of the image's payload, as a device reports it for a bank; null for images recorded before it was kept. */
  payloadSha256: string | null;
  /**
   * The family a manifest image is for: the manager serves the vendor's file it wraps (its payload)
   * unchanged. Null for the reference IAD's own images, served whole.
   */
  family: string | null;
}

export type BackupKind = 'backup' | 'migrated' | 'operator';

/**
 * A configuration file the manager holds: a device's backup as it arrived, a migration of one, or a
 * configuration an operator supplied. Files are content-addressed; a row never changes once written.
 */
export interface BackupRecord {
  sha256: string;
  deviceId: number;
  runId: string | null;
  kind: BackupKind;
  /** The backup this one was converted or edited from. */
  derivedFrom: string | null;
  configFormat: number;
  configDigest: string;
  size: number;
  takenAt: Date;
}

export type Phase = 'preflight' | 'backup' | 'upgrade' | 'migrate' | 'restore' | 'verify' | 'rollback';

/**
 * Where a run stands. `waiting` means it asks an operator; `staged` that the new software waits in the
 * device's inactive bank for its activation; the others after them are final. `upToDate`: the device
 * already ran the image, so the run ended in preflight without changing anything.
 */
export const runStates = ['running', 'waiting', 'staged', 'verified', 'failed', 'rolledBack', 'aborted', 'upToDate'] as const;
export type RunState = (typeof runStates)[number];
export const finalRunStates = ['verified', 'failed', 'rolledBack', 'aborted', 'upToDate'] as const satisfies readonly RunState[];
export type FinalRunState = (typeof finalRunStates)[number];

export type FailureAction = 'retry' | 'ask' | 'abort';

/** What a run does when a phase fails: retry `retries` times with backoff, then `then`. */
export interface PhasePolicy {
  retries: number;
  backoffSeconds: number;
  then: Exclude<FailureAction, 'retry'>;
}

export type RunPolicy = Record<Exclude<Phase, 'verify' | 'rollback'>, PhasePolicy>;

export const defaultPhasePolicy: PhasePolicy = { retries: 2, backoffSeconds: 5, then: 'ask' };

/** The time limits a run's operations are held to: past one, silence fails the operation. */
export const timeLimitNames = ['backup', 'download', 'boot', 'restore', 'verify'] as const;
export type TimeLimitName = (typeof timeLimitNames)[number];
/** Seconds per limit. */
export type TimeLimits = Record<TimeLimitName, number>;

/**
 * How a run does its work, fixed when it starts and kept with it (a resumed run works the same way):
 * the transport of every file transfer, the phases' time limits, and whether the image is installed
 * again on a device that already runs it.
 */
/** Who converts a configuration the new software reads in another format: the manager, or the device itself. */
export const converters = ['manager', 'device'] as const;
export type Converter = (typeof converters)[number];

export interface RunOptions {
  transport: TransferProtocol;
  timeLimits: TimeLimits;
  reinstall: boolean;
  /** Absent in runs recorded before it existed: the manager converted. */
  converter?: Converter;
  /** Stop once the image is staged in the inactive bank, and wait for an activation (absent: false). */
  stage?: boolean;
  /** Activate only once the device has no call in progress (absent: false). */
  whenIdle?: boolean;
  /** Checks the run leaves out, by name (procedure/checks.ts). */
  skipChecks?: CheckName[];
}

/** An upgrade run goes through every phase; a backup run (on demand) through preflight and backup only. */
export type RunKind = 'upgrade' | 'backup';

export interface RunRecord {
  /** Also the durable workflow's ID. */
  id: string;
  kind: RunKind;
  deviceId: number;
  /**
   * The image an upgrade run installs: the one it was started with, or the corrected one an operator
   * handed in with a retry, from the attempt that uses it on (the timeline names every image tried).
   * Null for a backup run.
   */
  imageSha256: string | null;
  policy: RunPolicy;
  state: RunState;
  phase: Phase;
  /** Operator or campaign that started the run. */
  startedBy: string;
  createdAt: Date;
  updatedAt: Date;
  /** The final report, once the run has ended. */
  outcome: RunOutcome | null;
  /** Null for a run recorded before runs kept their options: it works with the manager's defaults. */
  options: RunOptions | null;
  /** The operator who asked to cancel the run, and when; the run stops at its next safe point. */
  cancelRequestedBy: string | null;
  cancelRequestedAt: Date | null;
}

export interface RunOutcome {
  state: FinalRunState;
  /** Software the device runs at the end, and whether it is the new one. */
  runningVersion: string | null;
  keptNewSoftware: boolean;
  /** The configuration the device runs at the end and where it came from. */
  configDigest: string | null;
  /** The verified backup the run took (the original configuration), if it got that far. */
  backupSha256: string | null;
  summary: string;
}

/** Who caused a state change: an operator (by name), the policy, the device, or the manager itself. */
export type Actor = `operator:${string}` | 'policy' | 'device' | 'manager';

export type RunEventKind =
  | 'phaseStarted'
  | 'phaseSucceeded'
  | 'phaseFailed'
  /** A reboot order ended badly (power cut mid-boot), yet the device came up on the new software. */
  | 'bootConfirmed'
  | 'operationStarted'
  | 'operationFinished'
  | 'notification'
  | 'pollingFallback'
  | 'retryScheduled'
  | 'askedOperator'
  | 'decision'
  | 'revert'
  | 'migration'
  | 'runEnded'
  | 'runResumed'
  | 'reinstall'
  /** Steps of the method the device's family does not have, and why (recorded once, after preflight). */
  | 'plan'
  /** A phase that does not apply to the device's family (e.g. backup on a cable modem). */
  | 'phaseSkipped'
  /** A restored configuration backed up again and compared, for a family whose device reports no digest. */
  | 'readBack'
  /** An operator asked to cancel the run (recorded when asked). */
  | 'cancelRequested'
  /**
   * The device already had the operation this step orders (a manager that stopped had ordered it
   * before recording so, or the answer was lost): the run carries on with it, never ordering it twice.
   */
  | 'operationAdopted'
  /** A transfer offered by the manager that ran the run before is offered again by this one. */
  | 'reissued'
  /** The run reached a safe point with a cancel request: it starts nothing new from here. */
  | 'cancelled'
  /** A round of pre-checks or post-checks, each check's verdict in the detail. */
  | 'checks'
  /** The new software is in the inactive bank, not marked for boot: the run waits for its activation. */
  | 'staged'
  /** An activation the run could not carry out now (a pre-check failed, the device stayed busy): it stays staged. */
  | 'activationDeferred'
  /** The activation waits for the device's calls to end. */
  | 'waitingIdle';

/** One line of a run's timeline. Every state change is one, with time, cause and actor. */
export interface RunEvent {
  id: number;
  runId: string;
  at: Date;
  phase: Phase;
  kind: RunEventKind;
  actor: Actor;
  cause: RunEventCause | null;
  message: string;
  detail: RunEventDetail;
}

/** Why a timeline line was written: a failure's cause, a note (a reinstall, a revert not needed), or the run's end state. */
export type RunEventCause = Cause | EventNote | RunState;

/**
 * What a timeline line carries beyond its words. The facts code reads back are named and typed; other
 * facts (a reading, a migration's steps, the image an attempt installs) ride along for the operator.
 */
export interface RunEventDetail {
  /** An operation's lines: its row on the device and what it orders. */
  index?: number;
  type?: OperationType;
  /** A phase's lines: which attempt. */
  attempt?: number;
  /** A time limit that ran out, and how long it was. */
  limit?: string;
  seconds?: number;
  [fact: string]: unknown;
}

/** An operator's answer: to a run that waits (retry, abort, keepNewSoftware) or to a staged one (activate, abort). */
export type DecisionAnswer = 'retry' | 'abort' | 'keepNewSoftware' | 'activate';

export interface DecisionRecord {
  id: number;
  runId: string;
  at: Date;
  actor: Actor;
  answer: DecisionAnswer;
  /** A corrected image (upgrade phase) or configuration (migrate, restore) the operator supplied. */
  imageSha256: string | null;
  backupSha256: string | null;
}

/** Which run ordered operation `index` on a device: routes notifications to the waiting run. */
export interface OperationRoute {
  deviceId: number;
  index: number;
  runId: string;
  phase: Phase;
  type: OperationType;
  startedAt: Date;
}
