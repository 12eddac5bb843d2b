// INET-ADDRESS-MIB (RFC 4001) as the device uses it: a type, octets and a port; ipv4 (4 octets) and
// ipv6 (16 octets). Zoned addresses (ipv4z, ipv6z) and dns names are not supported.
import { addressOctets, octetsAddress } from '../ip-address.ts';
import { enumeration } from '../mib.ts';
import type { Endpoint } from '../endpoint.ts';

const addressType = enumeration('sfNotifyAddressType');
export const inetUnknown = addressType.number('unknown');
export const inetIpv4 = addressType.number('ipv4');
export const inetIpv6 = addressType.number('ipv6');

export interface InetEndpointCells {
  type: number;
  address: Buffer;
  port: number;
}

export function endpointCells(endpoint: Endpoint | undefined): InetEndpointCells {
  const octets = endpoint ? addressOctets(endpoint.address) : undefined;
  if (!endpoint || !octets) return { type: inetUnknown, address: Buffer.alloc(0), port: 0 };
  return { type: octets.length === 4 ? inetIpv4 : inetIpv6, address: octets, port: endpoint.port };
}

/**
 * The endpoint the cells name: undefined for "none" (type unknown, no octets), an Endpoint for ipv4 with
 * 4 octets or ipv6 with 16, or a string saying why the combination is inconsistent (RFC 4001: inconsistentValue).
 * `defaultPort` replaces port 0.
 */
export function cellsEndpoint(cells: InetEndpointCells, defaultPort: number): Endpoint | undefined | string {
  if (cells.type === inetUnknown) {
    return cells.address.length === 0 ? undefined : 'an address of type unknown must be empty';
  }
  const length = cells.type === inetIpv4 ? 4 : cells.type === inetIpv6 ? 16 : undefined;
  if (length === undefined) return 'only ipv4 and ipv6 addresses are supported';
  if (cells.address.length !== length) return `an ${cells.type === inetIpv4 ? 'ipv4' : 'ipv6'} address has ${length} octets, got ${cells.address.length}`;
  return { address: octetsAddress(cells.address)!, port: cells.port === 0 ? defaultPort : cells.port };
}
