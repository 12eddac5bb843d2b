// Which operation row index a run uses on its device. The index is a function of (run number, phase,
// attempt, step within the attempt) and nothing else, so a step replayed after a manager crash sends the
// very same createAndGo, which the device answers as a repeat instead of starting a second operation.
import type { Phase } from '../store/records.ts';

/**
 * Phases that order operations, each with its own part of a run's block of indexes; staging (the
 * first half of an upgrade, ahead of its activation) has a part of its own.
 */
export type OperationPhase = Extract<Phase, 'backup' | 'upgrade' | 'restore' | 'rollback'> | 'stage';

const phaseCodes: Record<OperationPhase, number> = { backup: 0, upgrade: 1, restore: 2, rollback: 3, stage: 4 };

export const slotsPerAttempt = 4;
export const attemptsPerPhase = 256;
const phasesPerRun = 8;
const indexesPerRun = phasesPerRun * attemptsPerPhase * slotsPerAttempt;
/** sfOpIndex is Unsigned32 (1..2147483647): run blocks wrap around within it. */
const runBlocks = Math.floor((2 ** 31 - 1) / indexesPerRun);

export function operationIndex(runNumber: number, phase: OperationPhase, attempt: number, slot: number): number {
  if (!Number.isSafeInteger(runNumber) || runNumber < 1) throw new RangeError(`run number must be a positive integer, got ${runNumber}`);
  if (!Number.isInteger(attempt) || attempt < 0 || attempt >= attemptsPerPhase)
    throw new RangeError(`attempt must be from 0 to ${attemptsPerPhase - 1}, got ${attempt}`);
  if (!Number.isInteger(slot) || slot < 0 || slot >= slotsPerAttempt) throw new RangeError(`slot must be from 0 to ${slotsPerAttempt - 1}, got ${slot}`);
  const block = runNumber % runBlocks;
  return 1 + block * indexesPerRun + (phaseCodes[phase] * attemptsPerPhase + attempt) * slotsPerAttempt + slot;
}

/** What an index says of the step that ordered it (the run only as its block: run numbers wrap around). */
export interface OperationIndexParts {
  runBlock: number;
  phase: OperationPhase;
  attempt: number;
  slot: number;
}

/** The inverse of operationIndex: which phase, attempt and slot of which run block an index belongs to. */
export function operationIndexParts(index: number): OperationIndexParts {
  if (!Number.isSafeInteger(index) || index < 1 || index > 2 ** 31 - 1) throw new RangeError(`not an operation index: ${index}`);
  const offset = index - 1;
  const runBlock = Math.floor(offset / indexesPerRun);
  const within = offset % indexesPerRun;
  const slot = within % slotsPerAttempt;
  const attempt = Math.floor(within / slotsPerAttempt) % attemptsPerPhase;
  const code = Math.floor(within / (slotsPerAttempt * attemptsPerPhase));
  const phase = (Object.keys(phaseCodes) as OperationPhase[]).find((name) => phaseCodes[name] === code);
  if (phase === undefined) throw new RangeError(`operation index ${index} names no phase`);
  return { runBlock, phase, attempt, slot };
}

/** The block of indexes a run number uses (operationIndexParts gives it back). */
export function runBlockOf(runNumber: number): number {
  return runNumber % runBlocks;
}
