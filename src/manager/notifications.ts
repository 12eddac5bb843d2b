// SAFEFLASH-MIB notifications as the manager reads them: which device, which operation, what happened.
import { enumeration, oid } from '../protocol/mib.ts';
import type { ReceivedNotification } from '../protocol/snmp/receiver.ts';
import { bufferValue, instanceOf, numberValue, type Varbind } from '../protocol/snmp/varbind.ts';
import type { Bank, BootCause, FailCause, OperationState, OperationType } from '../protocol/vocabulary.ts';

export type DeviceNotification =
  | { kind: 'operationProgress'; device: string; index: number; type: OperationType; state: OperationState; progress: number }
  | {
      kind: 'operationCompleted';
      device: string;
      index: number;
      type: OperationType;
      state: OperationState;
      failCause: FailCause;
      failMessage: string;
    }
  | { kind: 'bootCompleted'; device: string; runningVersion: string; previousVersion: string; activeBank: Bank; lastBootCause: BootCause };

const enums = {
  opType: enumeration<OperationType>('sfOpType'),
  opState: enumeration<OperationState>('sfOpState'),
  failCause: enumeration<FailCause>('sfOpFailCause'),
  bank: enumeration<Bank>('sfActiveBank'),
  bootCause: enumeration<BootCause>('sfLastBootCause'),
};

const kinds = {
  [oid('sfOpProgressNotification')]: 'operationProgress',
  [oid('sfOpCompletionNotification')]: 'operationCompleted',
  [oid('sfBootCompletedNotification')]: 'bootCompleted',
} as const;

/** The notification in the manager's terms, or undefined when it is not one of ours or is malformed. */
export function readNotification(received: ReceivedNotification): DeviceNotification | undefined {
  const kind = kinds[received.notification];
  if (!kind) return undefined;
  const find = (name: string): Varbind | undefined => received.varbinds.find((v) => instanceOf(v.oid, oid(name)) !== undefined);
  try {
    const device = received.from.address;
    if (kind === 'bootCompleted') {
      const [running, previous, bank, cause] = ['sfRunningVersion', 'sfPreviousVersion', 'sfActiveBank', 'sfLastBootCause'].map(find);
      if (!running || !previous || !bank || !cause) return undefined;
      const activeBank = enums.bank.label(numberValue(bank));
      const lastBootCause = enums.bootCause.label(numberValue(cause));
      if (!activeBank || !lastBootCause) return undefined;
      return {
        kind,
        device,
        runningVersion: bufferValue(running).toString('utf8'),
        previousVersion: bufferValue(previous).toString('utf8'),
        activeBank,
        lastBootCause,
      };
    }
    const typeCell = find('sfOpType');
    const stateCell = find('sfOpState');
    if (!typeCell || !stateCell) return undefined;
    const index = Number(instanceOf(typeCell.oid, oid('sfOpType')));
    const type = enums.opType.label(numberValue(typeCell));
    const state = enums.opState.label(numberValue(stateCell));
    if (!Number.isInteger(index) || !type || !state) return undefined;
    if (kind === 'operationProgress') {
      const progress = find('sfOpProgress');
      return { kind, device, index, type, state, progress: progress ? numberValue(progress) : 0 };
    }
    const cause = find('sfOpFailCause');
    const message = find('sfOpFailMessage');
    return {
      kind,
      device,
      index,
      type,
      state,
      failCause: (cause && enums.failCause.label(numberValue(cause))) || 'unknown',
      failMessage: message ? bufferValue(message).toString('utf8') : '',
    };
  } catch {
    // A value of the wrong type: not a notification we can act on.
    return undefined;
  }
}
