// SAFEFLASH-MIB's enumerations as the code spells them: one list each, from which the type and the check
// come. The labels are the MIB's, in its order; the numbers are not here (src/protocol/mib.ts reads them
// from the MIB file), and test/unit/vocabulary.test.ts holds each list equal to the MIB's labels.
import type { TransferFailure } from './transfer-contract.ts';

/** sfOpType: what an operation row orders. */
export const operationTypes = [
  'backupConfig',
  'downloadSoftware',
  'reboot',
  'revertSoftware',
  'restoreConfig',
  'convertConfig',
  'stageSoftware',
  'activateSoftware',
] as const;
export type OperationType = (typeof operationTypes)[number];

/** sfOpState. */
export const operationStates = ['waiting', 'running', 'successful', 'failed'] as const;
export type OperationState = (typeof operationStates)[number];

/** SfFailCause: why an operation failed, as the device reports it; the transfer failures are among them. */
export const failCauses = [
  'none',
  'unknown',
  'serverUnreachable',
  'fileNotFound',
  'accessDenied',
  'transferTimeout',
  'tooLarge',
  'protocolError',
  'imageCorrupt',
  'imageBadSignature',
  'imageWrongModel',
  'configFormatMismatch',
  'configInvalid',
  'bootFailed',
  'noPreviousImage',
  'writeFailed',
  'busy',
  'powerLoss',
  'aborted',
  'nothingStaged',
] as const;
export type FailCause = (typeof failCauses)[number];
/** A transfer's failure is what the device reports (this line stops compiling when one is not). */
type TransferFailureIsFailCause<T extends FailCause> = T;
export type TransferFailCause = TransferFailureIsFailCause<TransferFailure>;

/** SfBank: the two software banks. */
export const banks = ['bankA', 'bankB'] as const;
export type Bank = (typeof banks)[number];

/** sfBankState. */
export const bankStates = ['empty', 'valid', 'invalid'] as const;
export type BankState = (typeof bankStates)[number];

/** sfLastBootCause: why the device last started. */
export const bootCauses = ['powerOn', 'commanded', 'fallback', 'revert'] as const;
export type BootCause = (typeof bootCauses)[number];

/** Whether a label belongs to a list: the check that goes with each type. */
export function isOneOf<const L extends readonly string[]>(labels: L, value: unknown): value is L[number] {
  return typeof value === 'string' && (labels as readonly string[]).includes(value);
}
