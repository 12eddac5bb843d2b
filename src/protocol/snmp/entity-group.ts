// ENTITY-MIB's physical table (RFC 6933), as much of it as says what a unit is: row 1, the chassis, with
// its model and serial number. Vendor equipment serves it; the lab's virtual routers do too.
import type { ObjectFact } from './object-table.ts';

const entity = 'ENTITY-MIB (RFC 6933, 2013-04-15)';
const physicalEntry = '1.3.6.1.2.1.47.1.1.1.1';

export const entPhysicalEntry = { name: 'entPhysicalEntry', oid: physicalEntry } as const;
export const entPhysicalColumns = {
  entPhysicalIndex: { oid: `${physicalEntry}.1`, syntax: 'Integer', access: 'not-accessible', source: entity },
  entPhysicalSerialNum: { oid: `${physicalEntry}.11`, syntax: 'OctetString', access: 'read-only', source: entity },
  entPhysicalModelName: { oid: `${physicalEntry}.13`, syntax: 'OctetString', access: 'read-only', source: entity },
} as const satisfies Record<string, ObjectFact>;
export const chassisRow = 1;

/** SNMPv2-MIB's traps (RFC 3418) for an agent that starts: after a power-on (cold), or a reload (warm). */
export const startTraps = {
  coldStart: { oid: '1.3.6.1.6.3.1.1.5.1', source: 'SNMPv2-MIB (RFC 3418, 2002-10-16)' },
  warmStart: { oid: '1.3.6.1.6.3.1.1.5.2', source: 'SNMPv2-MIB (RFC 3418, 2002-10-16)' },
} as const;
