// Every family the manager drives, by name; recognising a device's family from its system group; and
// reading a notification whichever family sent it (notification OIDs are each family's own).
import { startTraps } from '../protocol/snmp/entity-group.ts';
import type { Varbind } from '../protocol/snmp/varbind.ts';
import { ciscoIosFamily } from './cisco-ios/family.ts';
import { docsisFamily } from './docsis/family.ts';
import { huaweiFamily } from './huawei/family.ts';
import { type DeviceSystem, type Family, type FamilyName, type FamilyNotification, familyNames } from './family.ts';
import { safeflashFamily } from './safeflash/family.ts';

const byName: Record<FamilyName, Family> = { safeflash: safeflashFamily, huawei: huaweiFamily, 'cisco-ios': ciscoIosFamily, docsis: docsisFamily };

export const families: readonly Family[] = familyNames.map((name) => byName[name]);

export function family(name: FamilyName): Family {
  return byName[name];
}

/** The family whose equipment answers this way, or undefined when none does. */
export function recogniseFamily(system: DeviceSystem): Family | undefined {
  return families.find((f) => f.recognises(system));
}

/**
 * A notification from any family, with the family that sent it (null for the standard start traps,
 * which any agent sends); undefined when none reads it.
 */
export function decodeAnyNotification(notificationOid: string, varbinds: readonly Varbind[]): (FamilyNotification & { family: FamilyName | null }) | undefined {
  // A start trap says the device booted: a hint to read what runs now, whatever the family.
  if (notificationOid === startTraps.coldStart.oid || notificationOid === startTraps.warmStart.oid) {
    return {
      kind: 'bootCompleted',
      runningVersion: '',
      activeBank: null,
      lastBootCause: notificationOid === startTraps.coldStart.oid ? 'powerOn' : 'commanded',
      family: null,
    };
  }
  for (const f of families) {
    const decoded = f.decodeNotification(notificationOid, varbinds);
    if (decoded) return { ...decoded, family: f.name };
  }
  return undefined;
}
