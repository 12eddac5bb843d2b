// What a device keeps in state.json: which bank runs, which boots next, what the banks hold, the boot
// counter and the notify target. The image files themselves are the truth about what a bank holds;
// state.json adds what the files cannot say (a bank whose boot failed, or whose writing began).
import type { Bank, BankState, BootCause } from '../protocol/vocabulary.ts';
import type { Endpoint } from '../protocol/endpoint.ts';

export const banks: readonly Bank[] = ['bankA', 'bankB'];

export interface BankRecord {
  state: BankState;
  /** Written by downloadSoftware and not booted since: the image whose first boot may fail. */
  fresh: boolean;
}

export interface DeviceState {
  activeBank: Bank;
  nextBootBank: Bank;
  banks: Record<Bank, BankRecord>;
  /** Boots of nextBootBank begun and not finished; past a limit the bank counts as failed to boot. */
  bootAttempts: number;
  lastBootCause: BootCause;
  notifyTarget: Endpoint | undefined;
}

const layout = 1;

export function otherBank(bank: Bank): Bank {
  return bank === 'bankA' ? 'bankB' : 'bankA';
}

export function factoryState(): DeviceState {
  return {
    activeBank: 'bankA',
    nextBootBank: 'bankA',
    banks: { bankA: { state: 'valid', fresh: false }, bankB: { state: 'empty', fresh: false } },
    bootAttempts: 0,
    lastBootCause: 'powerOn',
    notifyTarget: undefined,
  };
}

export function cloneState(state: DeviceState): DeviceState {
  return {
    ...state,
    banks: { bankA: { ...state.banks.bankA }, bankB: { ...state.banks.bankB } },
    notifyTarget: state.notifyTarget && { ...state.notifyTarget },
  };
}

export function renderState(state: DeviceState): string {
  return `${JSON.stringify({ layout, ...state, notifyTarget: state.notifyTarget ?? null }, null, 2)}\n`;
}

export class DeviceStateError extends Error {
  override name = 'DeviceStateError';
}

/** Reads state.json; throws DeviceStateError naming what is wrong. */
export function parseState(text: string): DeviceState {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new DeviceStateError(`state.json is not JSON: ${(error as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || json.layout !== layout) throw new DeviceStateError(`state.json has no layout ${layout}`);
  const bankRecords = json.banks as Record<string, { state?: unknown; fresh?: unknown }> | undefined;
  const state: DeviceState = {
    activeBank: json.activeBank as Bank,
    nextBootBank: json.nextBootBank as Bank,
    banks: {
      bankA: { state: bankRecords?.bankA?.state as BankState, fresh: bankRecords?.bankA?.fresh === true },
      bankB: { state: bankRecords?.bankB?.state as BankState, fresh: bankRecords?.bankB?.fresh === true },
    },
    bootAttempts: json.bootAttempts as number,
    lastBootCause: json.lastBootCause as BootCause,
    notifyTarget: (json.notifyTarget ?? undefined) as Endpoint | undefined,
  };
  const problems: string[] = [];
  if (!banks.includes(state.activeBank)) problems.push('activeBank');
  if (!banks.includes(state.nextBootBank)) problems.push('nextBootBank');
  for (const bank of banks) if (!['empty', 'valid', 'invalid'].includes(state.banks[bank].state)) problems.push(`banks.${bank}.state`);
  if (!Number.isInteger(state.bootAttempts) || state.bootAttempts < 0) problems.push('bootAttempts');
  if (!['powerOn', 'commanded', 'fallback', 'revert'].includes(state.lastBootCause)) problems.push('lastBootCause');
  const target = state.notifyTarget;
  if (target !== undefined && (typeof target.address !== 'string' || !Number.isInteger(target.port))) problems.push('notifyTarget');
  if (problems.length > 0) throw new DeviceStateError(`state.json has bad ${problems.join(', ')}`);
  return state;
}
