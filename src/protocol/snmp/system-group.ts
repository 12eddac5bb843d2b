// SNMPv2-MIB's system group (RFC 3418), which every SNMP agent serves: what a device says it is. Every
// personality answers it; discovery reads it to pick a device's family.
import type { ObjectFact } from './object-table.ts';

const source = 'SNMPv2-MIB (RFC 3418, 2002-10-16)';

export const systemObjects = {
  sysDescr: { oid: '1.3.6.1.2.1.1.1', syntax: 'OctetString', access: 'read-only', source },
  sysObjectID: { oid: '1.3.6.1.2.1.1.2', syntax: 'OID', access: 'read-only', source },
  sysUpTime: { oid: '1.3.6.1.2.1.1.3', syntax: 'TimeTicks', access: 'read-only', source },
  sysName: { oid: '1.3.6.1.2.1.1.5', syntax: 'OctetString', access: 'read-write', source },
} as const satisfies Record<string, ObjectFact>;
