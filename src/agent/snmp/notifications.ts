// SAFEFLASH-MIB's notifications as varbind lists: each carries the objects the MIB names for it,
// with the operation's index (or 0 for device scalars) as the instance.
import { notificationObjects, oid } from '../../protocol/mib.ts';
import type { Varbind } from '../../protocol/snmp/varbind.ts';
import type { DeviceStatus, Operation } from '../types.ts';
import { column, scalarProvider } from './providers.ts';
import { deviceScalars, operationCells } from './values.ts';

export type SfNotificationName = 'sfOpProgressNotification' | 'sfOpCompletionNotification' | 'sfBootCompletedNotification';

export interface SfNotification {
  name: SfNotificationName;
  oid: string;
  varbinds: Varbind[];
}

export function operationNotification(name: 'sfOpProgressNotification' | 'sfOpCompletionNotification', op: Operation): SfNotification {
  const cells = operationCells(op);
  return {
    name,
    oid: oid(name),
    varbinds: notificationObjects(name).map((object) => ({
      oid: `${oid(object)}.${op.index}`,
      type: column(object).type,
      value: cells[object]!,
    })),
  };
}

export function bootCompletedNotification(status: DeviceStatus): SfNotification {
  const name = 'sfBootCompletedNotification';
  const values = deviceScalars(status);
  return {
    name,
    oid: oid(name),
    varbinds: notificationObjects(name).map((object) => ({
      oid: `${oid(object)}.0`,
      type: scalarProvider(object).scalarType,
      value: values[object]!,
    })),
  };
}
