// The DOCSIS cable modem's objects: the one table the driver and the personality take their numbers
// from. Facts read from RFC 4639 (DOCS-CABLE-DEVICE-MIB, revision 2006-12-20), RFC 4547
// (DOCS-IETF-CABLE-DEVICE-NOTIFICATION-MIB, revision 2006-05-24) and RFC 4546 (DOCS-IF-MIB), as
// published with their MIB modules; RFC 2863 (IF-MIB) for ifPhysAddress.
import type { ObjectFact } from '../../protocol/snmp/object-table.ts';

const rfc4639 = 'DOCS-CABLE-DEVICE-MIB (RFC 4639, 2006-12-20)';
const rfc4547 = 'DOCS-IETF-CABLE-DEVICE-NOTIFICATION-MIB (RFC 4547, 2006-05-24)';
const rfc4546 = 'DOCS-IF-MIB (RFC 4546, 2006-06-08)';

/** Scalars (instance .0) of docsDevBase and docsDevSoftware. */
export const docsisScalars = {
  /** Writing true resets the modem; it always reads false. */
  docsDevResetNow: { oid: '1.3.6.1.2.1.69.1.1.3', syntax: 'Integer', access: 'read-write', values: { true: 1, false: 2 }, source: rfc4639 },
  docsDevSerialNumber: { oid: '1.3.6.1.2.1.69.1.1.4', syntax: 'OctetString', access: 'read-only', source: rfc4639 },
  /** Deprecated by RFC 4639 in favour of the address pair below, which it mirrors for IPv4. */
  docsDevSwServer: { oid: '1.3.6.1.2.1.69.1.3.1', syntax: 'IpAddress', access: 'read-write', source: rfc4639 },
  docsDevSwFilename: { oid: '1.3.6.1.2.1.69.1.3.2', syntax: 'OctetString', access: 'read-write', source: rfc4639 },
  docsDevSwAdminStatus: {
    oid: '1.3.6.1.2.1.69.1.3.3',
    syntax: 'Integer',
    access: 'read-write',
    values: { upgradeFromMgt: 1, allowProvisioningUpgrade: 2, ignoreProvisioningUpgrade: 3 },
    source: rfc4639,
  },
  docsDevSwOperStatus: {
    oid: '1.3.6.1.2.1.69.1.3.4',
    syntax: 'Integer',
    access: 'read-only',
    values: { inProgress: 1, completeFromProvisioning: 2, completeFromMgt: 3, failed: 4, other: 5 },
    source: rfc4639,
  },
  docsDevSwCurrentVers: { oid: '1.3.6.1.2.1.69.1.3.5', syntax: 'OctetString', access: 'read-only', source: rfc4639 },
  docsDevSwServerAddressType: {
    oid: '1.3.6.1.2.1.69.1.3.6',
    syntax: 'Integer',
    access: 'read-write',
    values: { unknown: 0, ipv4: 1, ipv6: 2, ipv4z: 3, ipv6z: 4, dns: 16 },
    source: rfc4639,
  },
  docsDevSwServerAddress: { oid: '1.3.6.1.2.1.69.1.3.7', syntax: 'OctetString', access: 'read-write', source: rfc4639 },
  docsDevSwServerTransportProtocol: { oid: '1.3.6.1.2.1.69.1.3.8', syntax: 'Integer', access: 'read-write', values: { tftp: 1, http: 2 }, source: rfc4639 },
} as const satisfies Record<string, ObjectFact>;

/** The software-upgrade notifications a modem sends (docsDevCmNotifs, mib-2 132.2.0). */
export const docsisNotifications = {
  docsDevCmSwUpgradeInitNotif: { oid: '1.3.6.1.2.1.132.2.0.9', source: rfc4547 },
  docsDevCmSwUpgradeFailNotif: { oid: '1.3.6.1.2.1.132.2.0.10', source: rfc4547 },
  docsDevCmSwUpgradeSuccessNotif: { oid: '1.3.6.1.2.1.132.2.0.11', source: rfc4547 },
} as const;

/**
 * What those notifications carry, in order. Event-table columns take the event's index, interface
 * objects the cable interface's ifIndex, the rest are scalars.
 */
export const docsisNotificationObjects = {
  docsDevEvLevel: {
    oid: '1.3.6.1.2.1.69.1.5.8.1.5',
    syntax: 'Integer',
    access: 'read-only',
    values: { emergency: 1, alert: 2, critical: 3, error: 4, warning: 5, notice: 6, information: 7, debug: 8 },
    source: rfc4639,
  },
  docsDevEvId: { oid: '1.3.6.1.2.1.69.1.5.8.1.6', syntax: 'Gauge', access: 'read-only', source: rfc4639 },
  docsDevEvText: { oid: '1.3.6.1.2.1.69.1.5.8.1.7', syntax: 'OctetString', access: 'read-only', source: rfc4639 },
  ifPhysAddress: { oid: '1.3.6.1.2.1.2.2.1.6', syntax: 'OctetString', access: 'read-only', source: 'IF-MIB (RFC 2863, 2000-06-14)' },
  docsIfCmCmtsAddress: { oid: '1.3.6.1.2.1.10.127.1.2.1.1.1', syntax: 'OctetString', access: 'read-only', source: rfc4546 },
  docsDevSwFilename: docsisScalars.docsDevSwFilename,
  docsDevSwServer: docsisScalars.docsDevSwServer,
  docsIfDocsisBaseCapability: {
    oid: '1.3.6.1.2.1.10.127.1.1.5',
    syntax: 'Integer',
    access: 'read-only',
    values: { docsis10: 1, docsis11: 2, docsis20: 3 },
    source: rfc4546,
  },
  docsIfCmStatusDocsisOperMode: {
    oid: '1.3.6.1.2.1.10.127.1.2.2.1.15',
    syntax: 'Integer',
    access: 'read-only',
    values: { docsis10: 1, docsis11: 2 },
    source: rfc4546,
  },
  /** Carried as the modem reports it; neither side interprets it. */
  docsIfCmStatusModulationType: { oid: '1.3.6.1.2.1.10.127.1.2.2.1.16', syntax: 'Integer', access: 'read-only', source: rfc4546 },
} as const satisfies Record<string, ObjectFact>;

/** The modem's cable interface, as the interface objects above are indexed. */
export const cableIfIndex = 2;

/**
 * The virtual modem's sysObjectID. Modems answer with their vendor's; ours has no vendor, so it takes an
 * arc of the example enterprise (RFC 5612) that SAFEFLASH-MIB lives under.
 */
export const virtualModemObjectId = '1.3.6.1.4.1.32473.2.1';
