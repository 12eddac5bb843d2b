// SAFEFLASH-MIB notifications as the manager reads them: the codec's (src/protocol/safeflash-mib/
// notifications.ts), with the device they came from.
import { decodeNotification, type SfNotification } from '../protocol/safeflash-mib/notifications.ts';
import type { ReceivedNotification } from '../protocol/snmp/receiver.ts';

export type DeviceNotification = SfNotification & { device: string };

/** The notification in the manager's terms, or undefined when it is not one of ours or is malformed. */
export function readNotification(received: ReceivedNotification): DeviceNotification | undefined {
  const notification = decodeNotification(received.notification, received.varbinds);
  return notification && { ...notification, device: received.from.address };
}
