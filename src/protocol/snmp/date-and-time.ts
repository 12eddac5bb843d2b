// SNMPv2-TC DateAndTime: 8 octets (local time without zone) or 11 (with the offset from UTC).
// Safeflash always writes the 11-octet UTC form; it reads both.

const zero = Buffer.alloc(8);

/** A time as 11 octets in UTC: year(2) month day hour minutes seconds deci-seconds '+' 0 0. */
export function encodeDateAndTime(date: Date): Buffer {
  const b = Buffer.alloc(11);
  b.writeUInt16BE(date.getUTCFullYear(), 0);
  b[2] = date.getUTCMonth() + 1;
  b[3] = date.getUTCDate();
  b[4] = date.getUTCHours();
  b[5] = date.getUTCMinutes();
  b[6] = date.getUTCSeconds();
  b[7] = Math.floor(date.getUTCMilliseconds() / 100);
  b[8] = '+'.charCodeAt(0);
  b[9] = 0;
  b[10] = 0;
  return b;
}

/** The value an object shows before the time it names has happened ("all zero before"). */
export function unsetDateAndTime(): Buffer {
  return Buffer.from(zero);
}

/** Decodes 8 or 11 octets; undefined for the all-zero "not yet" value or anything malformed. */
export function decodeDateAndTime(octets: Buffer): Date | undefined {
  if (octets.length !== 8 && octets.length !== 11) return undefined;
  if (octets.subarray(0, 8).equals(zero)) return undefined;
  const year = octets.readUInt16BE(0);
  const [month, day, hour, minute, second, deci] = [octets[2]!, octets[3]!, octets[4]!, octets[5]!, octets[6]!, octets[7]!];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 || deci > 9) return undefined;
  let utc = Date.UTC(year, month - 1, day, hour, minute, second, deci * 100);
  if (octets.length === 11) {
    const sign = String.fromCharCode(octets[8]!);
    if (sign !== '+' && sign !== '-') return undefined;
    const offsetMinutes = octets[9]! * 60 + octets[10]!;
    utc -= (sign === '+' ? 1 : -1) * offsetMinutes * 60_000;
  }
  return new Date(utc);
}
