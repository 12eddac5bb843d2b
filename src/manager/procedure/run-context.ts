// What every part of a running workflow shares: the run's facts, the durable steps, the timeouts.
import type { TransferProtocol } from '../../protocol/transfer-contract.ts';
import type { RunOptions } from '../store/records.ts';
import type { DeviceSteps } from './device-steps.ts';
import type { FileSteps } from './file-steps.ts';
import type { RunSteps } from './run-steps.ts';
import type { BoundSteps } from './run-journal.ts';
import type { RunPlan } from './run-plan.ts';
import type { NewEvent } from '../store/runs.ts';
import type { RunFacts } from './step-types.ts';
import type { PhaseTimeouts } from './timeouts.ts';

/** The durable steps as a run's workflow calls them (bound to its journal). */
export type Steps = BoundSteps<RunSteps & DeviceSteps & FileSteps>;

export interface RunContext {
  run: RunFacts;
  steps: Steps;
  timeouts: PhaseTimeouts;
  /** The transport of every file transfer of the run (options.transport). */
  protocol: TransferProtocol;
  /** The run's options: its own, or the manager's defaults for a run recorded without them. */
  options: RunOptions;
  /** The steps of the method the device's family has. */
  plan: RunPlan;
  /** Adds an event to the run's timeline (once, however often the workflow is replayed). */
  record(event: NewEvent): Promise<void>;
  /** DBOS's durable clock, timers and operator wake-ups; the run's journal writes what is pending before each. */
  durable: DurableWaits;
}

export interface DurableWaits {
  now(): Promise<number>;
  sleep(ms: number): Promise<void>;
  /** Waits up to `timeoutSeconds` for an operator's wake-up (a decision, a cancel request): what was said is read from the database. */
  operatorWakeUp(timeoutSeconds: number): Promise<void>;
}
