// What every SAFEFLASH-MIB codec shares: the enumerations (labels from src/protocol/vocabulary.ts, numbers
// from the MIB file), DisplayString's size limit, and reading a value back with a clear error.
import { enumeration } from '../mib.ts';
import { bufferValue, numberValue, type Varbind } from '../snmp/varbind.ts';
import type { TransferProtocol } from '../transfer-contract.ts';
import type { Bank, BankState, BootCause, FailCause, OperationState, OperationType } from '../vocabulary.ts';

export const enums = {
  bank: enumeration<Bank>('sfActiveBank'),
  bankState: enumeration<BankState>('sfBankState'),
  truth: enumeration<'true' | 'false'>('sfRebootRequired'),
  bootCause: enumeration<BootCause>('sfLastBootCause'),
  opType: enumeration<OperationType>('sfOpType'),
  protocol: enumeration<TransferProtocol>('sfOpProtocol'),
  opState: enumeration<OperationState>('sfOpState'),
  failCause: enumeration<FailCause>('sfOpFailCause'),
  rowStatus: enumeration('sfOpRowStatus'),
};

/** A value the MIB does not allow, read from a device: the device's fault, not ours. The message names the object. */
export class DeviceAnswerError extends Error {
  override name = 'DeviceAnswerError';
}

/** DisplayString (SIZE (0..max)): text cut to what the MIB allows. */
export function display(text: string, max: number): Buffer {
  const b = Buffer.from(text, 'utf8');
  return b.length <= max ? b : b.subarray(0, max);
}

export function text(v: Varbind): string {
  return bufferValue(v).toString('utf8');
}

/** The label of an enumerated value; DeviceAnswerError for a number the MIB does not define. */
export function label<L extends string>(e: { label(n: number): L | undefined; name: string }, v: Varbind): L {
  const found = e.label(numberValue(v));
  if (found === undefined) throw new DeviceAnswerError(`${e.name} has no value ${String(v.value)}`);
  return found;
}
