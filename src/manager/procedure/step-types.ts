// What the procedure's durable steps hand back to the workflow: plain JSON (a step's output is
// recorded and replayed), and expected failures as values, not exceptions.
import type { DeviceCondition, DeviceReading } from '../../families/family.ts';
import type { OperationReading } from '../../protocol/safeflash-mib/operation-row.ts';
import type { Actor, BackupKind, DecisionAnswer, RunKind, RunOptions, RunPolicy } from '../store/records.ts';
import type { Cause } from './causes.ts';
import type { FamilyName } from '../../families/family.ts';

export interface ImageFacts {
  sha256: string;
  model: string;
  version: string;
  configFormat: number;
  /** What a device reports as the bank's image digest; null when the manager did not record it. */
  payloadSha256?: string | null;
  /** A manifest image's family; null (or absent, in a step recorded by an earlier build) for the reference IAD's. */
  family?: string | null;
  /** Bytes; absent in a step recorded by an earlier build. */
  size?: number;
}

/** A configuration file the manager holds (a backup, a migration of one, an operator's). */
export interface ConfigFile {
  sha256: string;
  kind: BackupKind;
  derivedFrom: string | null;
  configFormat: number;
  configDigest: string;
}

export interface RunFacts {
  runId: string;
  number: number;
  kind: RunKind;
  deviceId: number;
  /** The device's family; absent in a step recorded by an earlier build, which knew only the reference IAD. */
  family?: FamilyName;
  policy: RunPolicy;
  image: ImageFacts | null;
  /** Null (or absent, in a step recorded by an earlier build) for a run that kept no options. */
  options?: RunOptions | null;
}

/** A durable step's answer: what it found, or why not. Recorded by DBOS as JSON, so its shape stays. */
export type Outcome<T = object> = ({ ok: true } & T) | { ok: false; cause: Cause; message: string };

export type Reading = Outcome<{ reading: DeviceReading }>;

export type ConditionReading = Outcome<{ condition: DeviceCondition }>;

/** One look at an operation row: `answered` false when the device did not answer at all. */
export interface Poll {
  at: number;
  answered: boolean;
  reading?: OperationReading;
  message?: string;
}

export interface DecisionFacts {
  id: number;
  answer: DecisionAnswer;
  /** An operator's, or the policy's (a campaign activating its staged runs). */
  actor: Actor;
  image: ImageFacts | null;
  config: ConfigFile | null;
}
