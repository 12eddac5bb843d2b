// Every family the manager drives, by name; recognising a device's family from its system group; and
// reading a notification whichever family sent it (notification OIDs are each family's own).
import type { Varbind } from '../protocol/snmp/varbind.ts';
import { isOneOf } from '../protocol/vocabulary.ts';
import { ciscoIosFamily } from './cisco-ios/family.ts';
import { docsisFamily } from './docsis/family.ts';
import { type DeviceSystem, type Family, type FamilyName, type FamilyNotification, familyNames } from './family.ts';
import { safeflashFamily } from './safeflash/family.ts';

const byName: Record<FamilyName, Family> = { safeflash: safeflashFamily, 'cisco-ios': ciscoIosFamily, docsis: docsisFamily };

export const families: readonly Family[] = familyNames.map((name) => byName[name]);

export function isFamilyName(value: unknown): value is FamilyName {
  return isOneOf(familyNames, value);
}

export function family(name: FamilyName): Family {
  return byName[name];
}

/** The family whose equipment answers this way, or undefined when none does. */
export function recogniseFamily(system: DeviceSystem): Family | undefined {
  return families.find((f) => f.recognises(system));
}

/** A notification from any family, with the family that sent it; undefined when none reads it. */
export function decodeAnyNotification(notificationOid: string, varbinds: readonly Varbind[]): (FamilyNotification & { family: FamilyName }) | undefined {
  for (const f of families) {
    const decoded = f.decodeNotification(notificationOid, varbinds);
    if (decoded) return { ...decoded, family: f.name };
  }
  return undefined;
}
