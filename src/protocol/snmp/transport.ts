// Which UDP socket family reaches an address: net-snmp opens udp4 sockets unless told otherwise, and a
// udp4 socket cannot send to (or listen on) an IPv6 address.
import { isIPv6 } from 'node:net';

export type UdpTransport = 'udp4' | 'udp6';

export function udpTransport(address: string): UdpTransport {
  return isIPv6(address) ? 'udp6' : 'udp4';
}
