// The --family and --families options of the commands that start virtual devices (the agent, the demo).
import { InvalidArgumentError } from 'commander';
import { type FamilyName, familyNames, isFamilyName } from '../../families/family.ts';

export interface FamilyShare {
  family: FamilyName;
  devices: number;
}

export function familyOption(value: string): FamilyName {
  if (!isFamilyName(value)) throw new InvalidArgumentError(`expected one of ${familyNames.join(', ')}, got "${value}"`);
  return value;
}

/** `huawei=5,docsis=5`: families in device order, each with its number of devices. */
export function familiesOption(value: string): FamilyShare[] {
  return value.split(',').map((part) => {
    const match = /^([a-z-]+)=(\d+)$/.exec(part.trim());
    if (!match) throw new InvalidArgumentError(`expected FAMILY=COUNT[,FAMILY=COUNT...], e.g. safeflash=5,docsis=5, got "${part}"`);
    const devices = Number(match[2]);
    if (devices < 1 || devices > 10_000) throw new InvalidArgumentError(`a family's count is from 1 to 10000, got ${devices}`);
    return { family: familyOption(match[1]!), devices };
  });
}

/** The family of each device, in device order. */
export function fleetFamilies(shares: FamilyShare[]): FamilyName[] {
  return shares.flatMap(({ family, devices }) => Array.from({ length: devices }, () => family));
}
