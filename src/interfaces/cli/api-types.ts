// The API's answers as the CLI receives them: the manager's records with times as ISO strings.
import type { RunCounts } from '../../manager/procedure/run-counts.ts';
import type { CheckReport } from '../../manager/procedure/checks.ts';
import {
  finalRunStates,
  type BackupRecord,
  type DecisionRecord,
  type ImageRecord,
  type PublicDevice,
  type RunEvent,
  type RunRecord,
} from '../../manager/store/records.ts';

/** A record after JSON: every Date became a string. */
export type Json<T> = T extends Date ? string : T extends Array<infer U> ? Array<Json<U>> : T extends object ? { [K in keyof T]: Json<T[K]> } : T;

export type DeviceJson = Json<PublicDevice>;
export type ImageJson = Json<ImageRecord>;
export type BackupJson = Json<BackupRecord>;
export type RunJson = Json<RunRecord>;
export type RunEventJson = Json<RunEvent>;
export type DecisionJson = Json<DecisionRecord>;

export interface RunDetailJson {
  run: RunJson;
  device?: DeviceJson;
  progress: number | null;
  timeline: RunEventJson[];
  decisions: DecisionJson[];
  counts: RunCounts;
  checks: CheckReport;
}

export const finalStates: ReadonlyArray<RunRecord['state']> = finalRunStates;
