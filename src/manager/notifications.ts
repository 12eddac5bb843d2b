// Notifications as the manager reads them: the sending family's decoding (src/families/), with the device
// they came from.
import { decodeAnyNotification } from '../families/families.ts';
import type { FamilyName, FamilyNotification } from '../families/family.ts';
import type { ReceivedNotification } from '../protocol/snmp/receiver.ts';

export type DeviceNotification = FamilyNotification & { device: string; family: FamilyName | null };

/** The notification in the manager's terms, or undefined when no family reads it or it is malformed. */
export function readNotification(received: ReceivedNotification): DeviceNotification | undefined {
  const notification = decodeAnyNotification(received.notification, received.varbinds);
  return notification && { ...notification, device: received.from.address };
}
