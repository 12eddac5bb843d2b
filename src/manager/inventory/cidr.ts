// IPv4 and IPv6 addresses and networks as numbers, for the two questions the inventory asks: is this
// address (or this whole block) inside the networks the manager may talk to, and which addresses does a
// block that discovery scans hold. Pure: no sockets, no clock.
import { addressOctets, octetsAddress } from '../../protocol/ip-address.ts';

export class CidrError extends Error {
  override name = 'CidrError';
}

export type AddressFamily = 4 | 6;

/** An address as a number of 32 (IPv4) or 128 (IPv6) bits. */
export interface ParsedAddress {
  family: AddressFamily;
  value: bigint;
}

/** A network: the addresses whose first `prefix` bits equal those of `base`. */
export interface Network {
  family: AddressFamily;
  base: bigint;
  prefix: number;
  /** Canonical text, e.g. 127.0.0.0/8 or ::1/128. */
  cidr: string;
}

const bits: Record<AddressFamily, number> = { 4: 32, 6: 128 };

/** The address, or undefined when `text` is not an IPv4 or IPv6 address (no zone, no brackets). */
export function parseAddress(text: string): ParsedAddress | undefined {
  const octets = addressOctets(text);
  if (!octets) return undefined;
  return { family: octets.length === 4 ? 4 : 6, value: octets.reduce((n, octet) => (n << 8n) | BigInt(octet), 0n) };
}

const mappedPrefix = 0xffffn << 32n;

/**
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) reaches the IPv4 host a.b.c.d: it is judged as that
 * address, so that spelling an address the IPv6 way never gets around an IPv4 rule.
 */
function effective(address: ParsedAddress): ParsedAddress {
  if (address.family === 6 && address.value >> 32n === mappedPrefix >> 32n) return { family: 4, value: address.value & 0xffffffffn };
  return address;
}

export function formatAddress(address: ParsedAddress): string {
  const length = address.family === 4 ? 4 : 16;
  const octets = Buffer.alloc(length);
  for (let i = 0; i < length; i++) octets[i] = Number((address.value >> BigInt(8 * (length - 1 - i))) & 0xffn);
  return octetsAddress(octets)!;
}

/** A network written as ADDRESS/PREFIX (or a lone address: /32, /128). Host bits must be zero. */
export function parseNetwork(text: string): Network {
  const trimmed = text.trim();
  const slash = trimmed.lastIndexOf('/');
  const addressText = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const address = parseAddress(addressText);
  if (!address) throw new CidrError(`"${text}" is not a network such as 192.0.2.0/24 or 2001:db8::/64`);
  const width = bits[address.family];
  const prefixText = slash < 0 ? String(width) : trimmed.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(prefixText) || Number(prefixText) > width) {
    throw new CidrError(`"${text}": the prefix length must be 0 to ${width}`);
  }
  const prefix = Number(prefixText);
  const hostMask = (1n << BigInt(width - prefix)) - 1n;
  if ((address.value & hostMask) !== 0n) {
    const base = formatAddress({ family: address.family, value: address.value & ~hostMask });
    throw new CidrError(`"${text}" has host bits set; did you mean ${base}/${prefix}?`);
  }
  return { family: address.family, base: address.value, prefix, cidr: `${formatAddress(address)}/${prefix}` };
}

/** Whether `address` is inside `network`. */
export function networkContains(network: Network, address: ParsedAddress): boolean {
  const a = effective(address);
  if (a.family !== network.family) return false;
  const shift = BigInt(bits[network.family] - network.prefix);
  return a.value >> shift === network.base >> shift;
}

/** Whether every address of `inner` is inside `outer`. */
export function networkCovers(outer: Network, inner: Network): boolean {
  return outer.family === inner.family && outer.prefix <= inner.prefix && networkContains(outer, { family: inner.family, value: inner.base });
}

/** The largest block discovery scans at once: 65536 addresses (an IPv4 /16, an IPv6 /112). */
export const largestBlockBits = 16;

export interface AddressBlock {
  cidr: string;
  network: Network;
  /**
   * The addresses a device can have. IPv4: all but network and broadcast, except in /31 and /32.
   * IPv6: all but the first (the subnet-router anycast address), except in /127 and /128.
   */
  hosts: string[];
}

/** A block for discovery to scan: a network of at most 65536 addresses. */
export function parseCidr(text: string): AddressBlock {
  const network = parseNetwork(text);
  const hostBits = bits[network.family] - network.prefix;
  if (hostBits > largestBlockBits) {
    const smallest = bits[network.family] - largestBlockBits;
    throw new CidrError(`"${text}" holds 2^${hostBits} addresses; discovery scans at most a /${smallest} at once`);
  }
  const size = 1n << BigInt(hostBits);
  const skipEnds = hostBits > 1;
  const first = network.base + (skipEnds ? 1n : 0n);
  const last = network.base + size - 1n - (skipEnds && network.family === 4 ? 1n : 0n);
  const hosts: string[] = [];
  for (let value = first; value <= last; value++) hosts.push(formatAddress({ family: network.family, value }));
  return { cidr: network.cidr, network, hosts };
}
