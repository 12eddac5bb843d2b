// Consecutive IPv4 loopback addresses for a fleet: 127.0.1.1, 127.0.1.2, ... Virtual devices only ever
// live in 127.0.0.0/8, so a base outside it (or a fleet running past its end) is refused.
import { isIPv4 } from 'node:net';
import { addressOctets } from '../protocol/ip-address.ts';

function toNumber(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function toAddress(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

export function isLoopback(address: string): boolean {
  return isIPv4(address) && address.startsWith('127.');
}

/** IPv4 loopback (127.0.0.0/8) or IPv6 loopback (::1): where a virtual device may live and send. */
export function isLoopbackAddress(address: string): boolean {
  if (isLoopback(address)) return true;
  const octets = addressOctets(address);
  return octets?.length === 16 && octets.subarray(0, 15).every((octet) => octet === 0) && octets[15] === 1;
}

export function loopbackAddresses(base: string, count: number): string[] {
  if (!isLoopback(base)) throw new RangeError(`base address must be an IPv4 loopback address (127.0.0.0/8), got "${base}"`);
  const first = toNumber(base);
  const last = first + count - 1;
  if (last > toNumber('127.255.255.254')) throw new RangeError(`${count} devices from ${base} run past 127.255.255.254`);
  return Array.from({ length: count }, (_, i) => toAddress(first + i));
}
