// What makes a virtual device answer as one kind of equipment: its MIB objects, how its state fills
// them, how a SET becomes operations, which notifications its events become, and what its system group
// says. The device underneath (banks, configuration, operations, faults) is the same for every family;
// the reference IAD's own personality is SAFEFLASH-MIB (safeflash-personality.ts), the vendors' live in
// src/families/<name>/personality.ts.
import type { Provider } from 'net-snmp';
import type { SetResult } from '../../protocol/snmp/agent.ts';
import type { MibView } from '../../protocol/snmp/mib-view.ts';
import type { Varbind } from '../../protocol/snmp/varbind.ts';
import type { DeviceStatus } from '../../protocol/safeflash-mib/device-scalars.ts';
import type { Operation } from '../../protocol/safeflash-mib/operation-row.ts';
import type { ManagedDevice } from './managed-device.ts';
import type { ConfigText } from '../operations/context.ts';

/** A notification ready to send: a name for logs, its OID and its varbinds. */
export interface OutgoingNotification {
  name: string;
  oid: string;
  varbinds: Varbind[];
}

/** One device's face: built once per device when its agent starts. */
export interface DeviceFace {
  /** The family's objects, registered once. */
  readonly providers: Provider[];
  readonly sysObjectID: string;
  sysDescr(status: DeviceStatus): string;
  /** Brings the served values up to date; called before each request. */
  refresh(view: MibView): void;
  /** Validates and applies a whole SET request, all or nothing. */
  set(varbinds: Varbind[]): SetResult;
  /** What the device's events become; undefined sends nothing. */
  progressNotification(operation: Operation, status: DeviceStatus): OutgoingNotification | undefined;
  completionNotification(operation: Operation, status: DeviceStatus): OutgoingNotification | undefined;
  bootNotification(status: DeviceStatus): OutgoingNotification | undefined;
  /** Stops following the device's events, when the face does (e.g. a modem that reboots after a download). */
  close?(): void;
}

export interface Personality {
  /** The family's name, as the manager knows it. */
  readonly family: string;
  /** How the family's devices write their configuration into files; the reference format when absent. */
  readonly configText?: ConfigText;
  face(device: ManagedDevice): DeviceFace;
}
