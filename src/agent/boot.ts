// Which bank a device boots, decided like a boot loader with a boot counter: try the bank marked for
// the next boot; if it is not valid, does not start, or has been tried too often without finishing
// (power cut while booting), mark it invalid and boot the other one. The device ends up running a
// valid image or, when neither bank holds one, refuses to pretend it runs at all.
import { cloneState, otherBank, type DeviceState } from './device-state.ts';
import type { Bank, BootCause } from '../protocol/vocabulary.ts';
import type { BankStatus } from '../protocol/safeflash-mib/device-scalars.ts';

export const defaultMaxBootAttempts = 3;

export interface BootInput {
  /** The state as saved by beginBoot (its bootAttempts counts the boot under way). */
  state: DeviceState;
  banks: Record<Bank, BankStatus>;
  cause: BootCause;
  /** Starts the software of a valid bank: undefined when it runs, else why it did not. */
  start: (bank: Bank) => string | undefined;
  maxBootAttempts: number;
}

export interface BootResult {
  state: DeviceState;
  booted: Bank;
  /** Whether the bank marked for this boot is the one running now. */
  markedBooted: boolean;
  /** Why the marked bank did not boot, when it did not. */
  failure: string | undefined;
}

export class NoBootableImage extends Error {
  override name = 'NoBootableImage';
}

/** The state to save before a boot starts, so that a boot cut short still counts as an attempt. */
export function beginBoot(state: DeviceState): DeviceState {
  return { ...cloneState(state), bootAttempts: state.bootAttempts + 1 };
}

export function resolveBoot(input: BootInput): BootResult {
  const marked = input.state.nextBootBank;
  const failure = whyNot(input, marked, input.state.bootAttempts > input.maxBootAttempts);
  if (failure === undefined) {
    return { state: booted(input.state, marked, input.cause), booted: marked, markedBooted: true, failure: undefined };
  }
  const other = otherBank(marked);
  const fallbackFailure = whyNot(input, other, false);
  if (fallbackFailure !== undefined) {
    throw new NoBootableImage(`no bootable image: ${marked} ${failure}; ${other} ${fallbackFailure}`);
  }
  const state = cloneState(input.state);
  if (input.banks[marked].state !== 'empty') state.banks[marked] = { state: 'invalid', fresh: false };
  state.nextBootBank = other;
  return { state: booted(state, other, 'fallback'), booted: other, markedBooted: false, failure: `${marked} ${failure}` };
}

function whyNot(input: BootInput, bank: Bank, triedTooOften: boolean): string | undefined {
  const status = input.banks[bank];
  if (status.state !== 'valid') return `holds no valid image (${status.state})`;
  if (triedTooOften) return `did not finish booting in ${input.maxBootAttempts} attempts`;
  return input.start(bank);
}

function booted(state: DeviceState, bank: Bank, cause: BootCause): DeviceState {
  const next = cloneState(state);
  next.activeBank = bank;
  next.nextBootBank = bank;
  next.bootAttempts = 0;
  next.lastBootCause = cause;
  next.banks[bank] = { state: 'valid', fresh: false };
  return next;
}
