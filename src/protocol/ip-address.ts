// IP addresses as the octets that go on the wire (INET-ADDRESS-MIB's InetAddress, SNMP engine IDs) and
// back: 4 for IPv4, 16 for IPv6 (RFC 4001). Text is printed the way RFC 5952 recommends (2001:db8::1).
import { isIP } from 'node:net';

/** The address's octets, or undefined when `text` is not an IPv4 or IPv6 address (zones refused). */
export function addressOctets(text: string): Buffer | undefined {
  const family = isIP(text);
  if (family === 4) return Buffer.from(text.split('.').map(Number));
  if (family !== 6 || text.includes('%')) return undefined;
  // An IPv4 tail (::ffff:192.0.2.1) stands for the last two groups.
  let body = text;
  const tail = /:(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (tail) {
    const v4 = Buffer.from(tail[1]!.split('.').map(Number));
    body = `${body.slice(0, tail.index + 1)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const [head, rest] = body.split('::') as [string, string | undefined];
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const all = rest === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const octets = Buffer.alloc(16);
  for (const [i, group] of all.entries()) octets.writeUInt16BE(parseInt(group, 16), 2 * i);
  return octets;
}

/** The text of 4 or 16 octets; undefined for any other length. */
export function octetsAddress(octets: Buffer): string | undefined {
  if (octets.length === 4) return [...octets].join('.');
  if (octets.length !== 16) return undefined;
  const groups = Array.from({ length: 8 }, (_, i) => octets.readUInt16BE(2 * i));
  // The longest run of two or more zero groups (the first of equal runs) becomes "::".
  let best = { start: -1, length: 1 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}
