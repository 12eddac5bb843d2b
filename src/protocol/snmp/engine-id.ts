// SNMP engine IDs (RFC 3411 SnmpEngineID): each virtual device is its own SNMP engine, so each one needs
// its own ID. Deriving it from the device's IPv4 address makes it stable across restarts and lets a
// manager or snmptrapd know it in advance.
import { isIPv4 } from 'node:net';

// RFC 5612's documentation enterprise number (the MIB's), with the high bit set as RFC 3411 requires.
const enterprisePrefix = Buffer.from([0x80, 0x00, 0x7e, 0xd9]);
const formatIpv4 = 0x01;

export function engineIdForAddress(address: string): Buffer {
  if (!isIPv4(address)) throw new Error(`not an IPv4 address: ${address}`);
  const octets = address.split('.').map(Number);
  return Buffer.concat([enterprisePrefix, Buffer.from([formatIpv4, ...octets])]);
}
