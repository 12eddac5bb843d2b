// The part of a VirtualDevice the SNMP layer uses: what it reports, what it can be asked, what it announces.
import type { DeviceEvents } from '../types.ts';
import type { DeviceStatus } from '../../protocol/safeflash-mib/device-scalars.ts';
import type { Operation, OperationRequest } from '../../protocol/safeflash-mib/operation-row.ts';
import type { Endpoint } from '../../protocol/endpoint.ts';

export interface ManagedDevice {
  /** false while rebooting or powered off: the agent then answers nothing at all. */
  readonly answering: boolean;
  /**
   * Moves whenever what status() or operations() report may have changed; a device without one is
   * read afresh for every request.
   */
  readonly revision?: number;
  status(): DeviceStatus;
  operations(): Operation[];
  operation(index: number): Operation | undefined;
  /** Throws OperationRejected (busy, invalid, exists, notAnswering); same request on the same index returns the row. */
  createOperation(index: number, request: OperationRequest): Operation;
  /** Throws when the operation is still running. */
  destroyOperation(index: number): unknown;
  /** Takes effect at once; the promise (if any) settles when it is saved. */
  setNotifyTarget(target: Endpoint | undefined): void | Promise<void>;
  on<E extends keyof DeviceEvents>(event: E, listener: (...args: DeviceEvents[E]) => void): unknown;
  off<E extends keyof DeviceEvents>(event: E, listener: (...args: DeviceEvents[E]) => void): unknown;
}
