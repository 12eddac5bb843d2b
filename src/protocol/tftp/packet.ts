// TFTP wire format (RFC 1350, options per RFC 2347): encode and parse every packet type.
// The parser throws only TftpParseError, whatever the bytes, because it faces the network.

export const Opcode = { rrq: 1, wrq: 2, data: 3, ack: 4, error: 5, oack: 6 } as const;

/** The TFTP error codes 0-8 (RFC 1350 and RFC 2347). */
export const TftpErrorCode = {
  notDefined: 0,
  fileNotFound: 1,
  accessViolation: 2,
  diskFull: 3,
  illegalOperation: 4,
  unknownTransferId: 5,
  fileExists: 6,
  noSuchUser: 7,
  optionRefused: 8,
} as const;

export type TftpErrorCodeValue = (typeof TftpErrorCode)[keyof typeof TftpErrorCode];

/** Option name/value pairs in the order they travel; names compare case-insensitively. */
export type TftpOptionList = ReadonlyArray<readonly [name: string, value: string]>;

export type TftpRequest = {
  type: 'rrq' | 'wrq';
  filename: string;
  mode: string;
  options: TftpOptionList;
};
export type TftpData = { type: 'data'; block: number; data: Buffer };
export type TftpAck = { type: 'ack'; block: number };
export type TftpErrorPacket = { type: 'error'; code: number; message: string };
export type TftpOack = { type: 'oack'; options: TftpOptionList };
export type TftpPacket = TftpRequest | TftpData | TftpAck | TftpErrorPacket | TftpOack;

/** Bytes before the payload of a DATA packet. */
export const DATA_HEADER_BYTES = 4;

export class TftpParseError extends Error {
  override name = 'TftpParseError';
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function readStrings(buf: Buffer, start: number, what: string): string[] {
  const strings: string[] = [];
  let at = start;
  while (at < buf.length) {
    const end = buf.indexOf(0, at);
    if (end < 0) throw new TftpParseError(`${what}: field is not NUL-terminated`);
    try {
      strings.push(strictUtf8.decode(buf.subarray(at, end)));
    } catch {
      throw new TftpParseError(`${what}: field is not valid UTF-8`);
    }
    at = end + 1;
  }
  return strings;
}

function pairOptions(fields: string[], what: string): TftpOptionList {
  if (fields.length % 2 !== 0) throw new TftpParseError(`${what}: option "${fields[fields.length - 1]}" has no value`);
  const options: Array<readonly [string, string]> = [];
  const seen = new Set<string>();
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i] as string;
    const value = fields[i + 1] as string;
    if (name === '') throw new TftpParseError(`${what}: empty option name`);
    const key = name.toLowerCase();
    if (seen.has(key)) throw new TftpParseError(`${what}: option "${name}" appears twice`);
    seen.add(key);
    options.push([name, value]);
  }
  return options;
}

export function parsePacket(buf: Buffer): TftpPacket {
  if (buf.length < 2) throw new TftpParseError(`packet of ${buf.length} byte(s) is too short for an opcode`);
  const opcode = buf.readUInt16BE(0);
  switch (opcode) {
    case Opcode.rrq:
    case Opcode.wrq: {
      const what = opcode === Opcode.rrq ? 'read request' : 'write request';
      const fields = readStrings(buf, 2, what);
      if (fields.length < 2) throw new TftpParseError(`${what}: needs a file name and a mode`);
      const [filename, mode, ...rest] = fields as [string, string, ...string[]];
      if (filename === '') throw new TftpParseError(`${what}: empty file name`);
      if (mode === '') throw new TftpParseError(`${what}: empty mode`);
      return { type: opcode === Opcode.rrq ? 'rrq' : 'wrq', filename, mode, options: pairOptions(rest, what) };
    }
    case Opcode.data:
      if (buf.length < 4) throw new TftpParseError('DATA packet shorter than its 4-byte header');
      return { type: 'data', block: buf.readUInt16BE(2), data: buf.subarray(4) };
    case Opcode.ack:
      if (buf.length !== 4) throw new TftpParseError(`ACK packet must be 4 bytes, got ${buf.length}`);
      return { type: 'ack', block: buf.readUInt16BE(2) };
    case Opcode.error: {
      if (buf.length < 4) throw new TftpParseError('ERROR packet shorter than its 4-byte header');
      // Some servers omit the final NUL or send non-UTF-8 text: the message is only shown, so be lenient.
      const end = buf.indexOf(0, 4);
      const message = buf.subarray(4, end < 0 ? buf.length : end).toString('utf8');
      return { type: 'error', code: buf.readUInt16BE(2), message };
    }
    case Opcode.oack:
      return { type: 'oack', options: pairOptions(readStrings(buf, 2, 'OACK'), 'OACK') };
    default:
      throw new TftpParseError(`unknown opcode ${opcode}`);
  }
}

function checkField(value: string, what: string): void {
  if (value.includes('\0')) throw new TftpParseError(`${what} contains a NUL character`);
}

function encodeStrings(opcode: number, fields: readonly string[]): Buffer {
  const parts = fields.map((field) => Buffer.from(field, 'utf8'));
  const size = 2 + parts.reduce((sum, part) => sum + part.length + 1, 0);
  const buf = Buffer.alloc(size);
  buf.writeUInt16BE(opcode, 0);
  let at = 2;
  for (const part of parts) {
    part.copy(buf, at);
    at += part.length + 1;
  }
  return buf;
}

function flattenOptions(options: TftpOptionList): string[] {
  const fields: string[] = [];
  for (const [name, value] of options) {
    if (name === '') throw new TftpParseError('empty option name');
    checkField(name, 'option name');
    checkField(value, `option "${name}" value`);
    fields.push(name, value);
  }
  return fields;
}

export function encodeRequest(request: Omit<TftpRequest, 'options'> & { options?: TftpOptionList }): Buffer {
  if (request.filename === '') throw new TftpParseError('empty file name');
  checkField(request.filename, 'file name');
  checkField(request.mode, 'mode');
  const opcode = request.type === 'rrq' ? Opcode.rrq : Opcode.wrq;
  return encodeStrings(opcode, [request.filename, request.mode, ...flattenOptions(request.options ?? [])]);
}

export function encodeOack(options: TftpOptionList): Buffer {
  return encodeStrings(Opcode.oack, flattenOptions(options));
}

export function encodeData(block: number, data: Buffer): Buffer {
  const buf = Buffer.allocUnsafe(DATA_HEADER_BYTES + data.length);
  writeDataHeader(buf, block);
  data.copy(buf, DATA_HEADER_BYTES);
  return buf;
}

/** Writes a DATA header in place, so senders can reuse one buffer per window slot. */
export function writeDataHeader(buf: Buffer, block: number): void {
  buf.writeUInt16BE(Opcode.data, 0);
  buf.writeUInt16BE(block & 0xffff, 2);
}

export function encodeAck(block: number): Buffer {
  const buf = Buffer.allocUnsafe(4);
  buf.writeUInt16BE(Opcode.ack, 0);
  buf.writeUInt16BE(block & 0xffff, 2);
  return buf;
}

export function encodeError(code: number, message: string): Buffer {
  const text = Buffer.from(message.replaceAll('\0', ' '), 'utf8');
  const buf = Buffer.alloc(4 + text.length + 1);
  buf.writeUInt16BE(Opcode.error, 0);
  buf.writeUInt16BE(code & 0xffff, 2);
  text.copy(buf, 4);
  return buf;
}

export function encodePacket(packet: TftpPacket): Buffer {
  switch (packet.type) {
    case 'rrq':
    case 'wrq':
      return encodeRequest(packet);
    case 'data':
      return encodeData(packet.block, packet.data);
    case 'ack':
      return encodeAck(packet.block);
    case 'error':
      return encodeError(packet.code, packet.message);
    case 'oack':
      return encodeOack(packet.options);
  }
}
