// The two varbinds SNMPv2 puts first in every notification (RFC 3416 section 4.2.6), from SNMPv2-MIB.
// They are standard objects outside SAFEFLASH-MIB, so they are named here once.
export const sysUpTimeInstance = '1.3.6.1.2.1.1.3.0';
export const snmpTrapOidInstance = '1.3.6.1.6.3.1.1.4.1.0';
