// SNMP engine IDs (RFC 3411 SnmpEngineID): each virtual device is its own SNMP engine, so each one needs
// its own ID. Deriving it from the device's IP address makes it stable across restarts and lets a
// manager or snmptrapd know it in advance.
import { addressOctets } from '../ip-address.ts';

// RFC 5612's documentation enterprise number (the MIB's), with the high bit set as RFC 3411 requires.
const enterprisePrefix = Buffer.from([0x80, 0x00, 0x7e, 0xd9]);
const formatIpv4 = 0x01;
const formatIpv6 = 0x02;

export function engineIdForAddress(address: string): Buffer {
  const octets = addressOctets(address);
  if (!octets) throw new Error(`not an IP address: ${address}`);
  return Buffer.concat([enterprisePrefix, Buffer.from([octets.length === 4 ? formatIpv4 : formatIpv6]), octets]);
}
