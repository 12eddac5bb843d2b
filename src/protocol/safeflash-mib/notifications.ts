// SAFEFLASH-MIB's three notifications in one place: what each says, encoded by the agent into the varbinds
// the MIB lists for it (instance: the operation's index, or 0 for device scalars), and decoded by the
// manager from what it receives.
import { notificationObjects, oid } from '../mib.ts';
import { bufferValue, instanceOf, numberValue, type Varbind } from '../snmp/varbind.ts';
import type { Bank, BootCause, FailCause, OperationState, OperationType } from '../vocabulary.ts';
import { enums } from './cells.ts';
import { type DeviceStatus, deviceScalarCells } from './device-scalars.ts';
import { type Operation, operationRowCells } from './operation-row.ts';
import { varbindsOf } from './providers.ts';

export type SfNotification =
  | { kind: 'operationProgress'; index: number; type: OperationType; state: OperationState; progress: number }
  | { kind: 'operationCompleted'; index: number; type: OperationType; state: OperationState; failCause: FailCause; failMessage: string }
  | { kind: 'bootCompleted'; runningVersion: string; previousVersion: string; activeBank: Bank; lastBootCause: BootCause };

export type SfNotificationName = 'sfOpProgressNotification' | 'sfOpCompletionNotification' | 'sfBootCompletedNotification';

const names: Record<SfNotification['kind'], SfNotificationName> = {
  operationProgress: 'sfOpProgressNotification',
  operationCompleted: 'sfOpCompletionNotification',
  bootCompleted: 'sfBootCompletedNotification',
};

const kinds = new Map(Object.entries(names).map(([kind, name]) => [oid(name), kind as SfNotification['kind']]));

/** A notification ready to send: its name, its OID and the varbinds the MIB lists for it. */
export interface EncodedNotification {
  name: SfNotificationName;
  oid: string;
  varbinds: Varbind[];
}

// ------------------------------------------------------------------ encode (the agent)

export function operationNotification(name: 'sfOpProgressNotification' | 'sfOpCompletionNotification', op: Operation): EncodedNotification {
  return { name, oid: oid(name), varbinds: varbindsOf(notificationObjects(name), operationRowCells(op), op.index) };
}

export function bootCompletedNotification(status: DeviceStatus): EncodedNotification {
  const name = names.bootCompleted;
  return { name, oid: oid(name), varbinds: varbindsOf(notificationObjects(name), deviceScalarCells(status), 0) };
}

// ------------------------------------------------------------------ decode (the manager)

/** What a received notification says, or undefined when it is not one of ours or is malformed. */
export function decodeNotification(notificationOid: string, varbinds: readonly Varbind[]): SfNotification | undefined {
  const kind = kinds.get(notificationOid);
  if (!kind) return undefined;
  const find = (name: string): Varbind | undefined => varbinds.find((v) => instanceOf(v.oid, oid(name)) !== undefined);
  try {
    if (kind === 'bootCompleted') {
      const [running, previous, bank, cause] = ['sfRunningVersion', 'sfPreviousVersion', 'sfActiveBank', 'sfLastBootCause'].map(find);
      if (!running || !previous || !bank || !cause) return undefined;
      const activeBank = enums.bank.label(numberValue(bank));
      const lastBootCause = enums.bootCause.label(numberValue(cause));
      if (!activeBank || !lastBootCause) return undefined;
      return {
        kind,
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
      return { kind, index, type, state, progress: progress ? numberValue(progress) : 0 };
    }
    const cause = find('sfOpFailCause');
    const message = find('sfOpFailMessage');
    return {
      kind,
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
