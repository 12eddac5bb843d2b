// The device as the rest of the agent sees it: what it reports and what it can be asked to do.
// Its words are SAFEFLASH-MIB's (src/protocol/vocabulary.ts); the SNMP layer maps them to the MIB's numbers.
import type { DeviceStatus } from '../protocol/safeflash-mib/device-scalars.ts';
import type { Operation } from '../protocol/safeflash-mib/operation-row.ts';

/** Events a device emits for the SNMP layer to turn into notifications. */
export interface DeviceEvents {
  operationProgress: [operation: Operation];
  operationCompleted: [operation: Operation];
  bootCompleted: [status: DeviceStatus];
}

/** Why a device refused to create an operation row (the SET fails; nothing changes). */
export type OperationRejection = 'busy' | 'invalid' | 'exists' | 'notAnswering';

export class OperationRejected extends Error {
  constructor(
    readonly reason: OperationRejection,
    message: string,
  ) {
    super(message);
    this.name = 'OperationRejected';
  }
}
