// INET-ADDRESS-MIB (RFC 4001) as the device uses it: a type, octets and a port. Only ipv4 is supported.
import { isIPv4 } from 'node:net';
import { enumeration } from '../../protocol/mib.ts';
import type { Endpoint } from '../types.ts';

const addressType = enumeration('sfNotifyAddressType');
export const inetUnknown = addressType.number('unknown');
export const inetIpv4 = addressType.number('ipv4');

export interface InetEndpointCells {
  type: number;
  address: Buffer;
  port: number;
}

export function endpointCells(endpoint: Endpoint | undefined): InetEndpointCells {
  if (!endpoint || !isIPv4(endpoint.address)) return { type: inetUnknown, address: Buffer.alloc(0), port: 0 };
  return { type: inetIpv4, address: Buffer.from(endpoint.address.split('.').map(Number)), port: endpoint.port };
}

/**
 * The endpoint the cells name: undefined for "none" (type unknown, no octets), an Endpoint for ipv4 with
 * 4 octets, or a string saying why the combination is inconsistent (RFC 4001: inconsistentValue).
 * `defaultPort` replaces port 0.
 */
export function cellsEndpoint(cells: InetEndpointCells, defaultPort: number): Endpoint | undefined | string {
  if (cells.type === inetUnknown) {
    return cells.address.length === 0 ? undefined : 'an address of type unknown must be empty';
  }
  if (cells.type !== inetIpv4) return 'only ipv4 addresses are supported';
  if (cells.address.length !== 4) return `an ipv4 address has 4 octets, got ${cells.address.length}`;
  return { address: [...cells.address].join('.'), port: cells.port === 0 ? defaultPort : cells.port };
}
