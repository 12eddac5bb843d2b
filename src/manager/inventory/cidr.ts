// The address ranges discovery may scan: IPv4 CIDR blocks of at most /16 inside loopback (127.0.0.0/8),
// since this manager never sends to any other address.
import { isIPv4 } from 'node:net';

export const smallestPrefix = 16;

export class CidrError extends Error {
  override name = 'CidrError';
}

export interface AddressBlock {
  cidr: string;
  /** The addresses a device can have: all but network and broadcast, except in /31 and /32. */
  hosts: string[];
}

function toNumber(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function toAddress(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

export function parseCidr(text: string): AddressBlock {
  const match = /^([0-9.]+)(?:\/([0-9]{1,2}))?$/.exec(text.trim());
  if (!match || !isIPv4(match[1]!)) throw new CidrError(`"${text}" is not an IPv4 address block such as 127.0.1.0/24`);
  const prefix = match[2] === undefined ? 32 : Number(match[2]);
  if (prefix > 32) throw new CidrError(`"${text}": the prefix length must be 0 to 32`);
  if (prefix < smallestPrefix) throw new CidrError(`"${text}" holds ${2 ** (32 - prefix)} addresses; discovery scans at most a /${smallestPrefix} at once`);
  const size = 2 ** (32 - prefix);
  const start = toNumber(match[1]!);
  if (start % size !== 0) throw new CidrError(`"${text}" has host bits set; did you mean ${toAddress(start - (start % size))}/${prefix}?`);
  if (Math.floor(start / 2 ** 24) !== 127) {
    throw new CidrError(`"${text}" is not inside 127.0.0.0/8; this manager only talks to devices on loopback addresses`);
  }
  const [first, last] = size <= 2 ? [start, start + size - 1] : [start + 1, start + size - 2];
  return { cidr: `${toAddress(start)}/${prefix}`, hosts: Array.from({ length: last - first + 1 }, (_, i) => toAddress(first + i)) };
}
