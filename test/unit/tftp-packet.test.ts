// The TFTP codec faces the network: arbitrary bytes must never make it throw anything but its own
// parse error, and every packet it encodes must parse back to itself. Option negotiation rules too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TftpParseError, encodeAck, encodeError, encodePacket, encodeRequest, parsePacket, type TftpPacket } from '../../src/protocol/tftp/packet.ts';
import { TftpFailure } from '../../src/protocol/tftp/errors.ts';
import { acceptOack, negotiateAsServer } from '../../src/protocol/tftp/options.ts';

test('arbitrary bytes parse or fail with TftpParseError only', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      try {
        parsePacket(Buffer.from(bytes));
      } catch (error) {
        assert.ok(error instanceof TftpParseError, `unexpected ${String(error)}`);
      }
    }),
    { numRuns: 5000 },
  );
});

test('bytes that start with a valid opcode parse or fail with TftpParseError only', () => {
  const withOpcode = fc
    .tuple(fc.integer({ min: 1, max: 6 }), fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 255 })), { maxLength: 80 }))
    .map(([opcode, rest]) => Buffer.from([0, opcode, ...rest]));
  fc.assert(
    fc.property(withOpcode, (buf) => {
      try {
        parsePacket(buf);
      } catch (error) {
        assert.ok(error instanceof TftpParseError, `unexpected ${String(error)}`);
      }
    }),
    { numRuns: 5000 },
  );
});

const field = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !s.includes('\0'));
const optionValue = fc.string({ maxLength: 12 }).filter((s) => !s.includes('\0'));
const optionList = fc.uniqueArray(fc.tuple(field, optionValue), {
  maxLength: 5,
  selector: ([name]) => name.toLowerCase(),
});

const packet: fc.Arbitrary<TftpPacket> = fc.oneof(
  fc.record({ type: fc.constantFrom('rrq' as const, 'wrq' as const), filename: field, mode: field, options: optionList }),
  fc.record({
    type: fc.constant('data' as const),
    block: fc.integer({ min: 0, max: 65535 }),
    data: fc.uint8Array({ maxLength: 1500 }).map((a) => Buffer.from(a)),
  }),
  fc.record({ type: fc.constant('ack' as const), block: fc.integer({ min: 0, max: 65535 }) }),
  fc.record({
    type: fc.constant('error' as const),
    code: fc.integer({ min: 0, max: 65535 }),
    message: fc.string({ maxLength: 60 }).filter((s) => !s.includes('\0')),
  }),
  fc.record({ type: fc.constant('oack' as const), options: optionList }),
);

test('encode then parse gives the same packet', () => {
  fc.assert(
    fc.property(packet, (original) => {
      assert.deepEqual(parsePacket(encodePacket(original)), { ...original }); // fast-check records have no prototype
    }),
    { numRuns: 3000 },
  );
});

test('known packets have their RFC 1350 bytes', () => {
  assert.deepEqual(encodeAck(0x1234), Buffer.from([0, 4, 0x12, 0x34]));
  assert.deepEqual(encodeError(1, 'File not found'), Buffer.from('\x00\x05\x00\x01File not found\x00', 'latin1'));
  assert.deepEqual(
    encodeRequest({ type: 'rrq', filename: 'a.bin', mode: 'octet', options: [['blksize', '1468']] }),
    Buffer.from('\x00\x01a.bin\x00octet\x00blksize\x001468\x00', 'latin1'),
  );
  assert.equal(encodeAck(65536).readUInt16BE(2), 0, 'block numbers wrap at 16 bits');
});

test('malformed packets are refused with a reason', () => {
  const cases: Array<[string, Buffer, RegExp]> = [
    ['empty', Buffer.alloc(0), /too short/],
    ['unknown opcode', Buffer.from([0, 9, 0, 0]), /unknown opcode 9/],
    ['request without mode', Buffer.from('\x00\x01file\x00', 'latin1'), /needs a file name and a mode/],
    ['unterminated request', Buffer.from('\x00\x02file\x00octet', 'latin1'), /NUL-terminated/],
    ['option without value', Buffer.from('\x00\x01f\x00octet\x00blksize\x00', 'latin1'), /has no value/],
    ['duplicate option', Buffer.from('\x00\x01f\x00octet\x00tsize\x000\x00TSIZE\x000\x00', 'latin1'), /appears twice/],
    ['short ACK', Buffer.from([0, 4, 0]), /4 bytes/],
    ['short DATA', Buffer.from([0, 3, 0]), /header/],
    ['bad UTF-8 name', Buffer.from([0, 1, 0xff, 0xfe, 0, 0x6f, 0]), /UTF-8/],
  ];
  for (const [what, bytes, reason] of cases) {
    assert.throws(
      () => parsePacket(bytes),
      (error: unknown) => error instanceof TftpParseError && reason.test(error.message),
      what,
    );
  }
  assert.throws(() => encodeRequest({ type: 'rrq', filename: 'a\0b', mode: 'octet' }), TftpParseError);
});

test('server negotiation clamps sizes, answers tsize, ignores unknown options and refuses nonsense', () => {
  const limits = { maxBlksize: 8192, maxWindowsize: 32 };
  const { parameters, reply } = negotiateAsServer(
    [
      ['BLKSIZE', '65464'],
      ['windowsize', '64'],
      ['tsize', '0'],
      ['multicast', ''],
      ['timeout', '3'],
    ],
    limits,
    1234,
  );
  assert.deepEqual(parameters, { blksize: 8192, windowsize: 32, tsize: 1234, timeoutSeconds: 3 });
  assert.deepEqual(reply, [
    ['BLKSIZE', '8192'],
    ['windowsize', '32'],
    ['tsize', '1234'],
    ['timeout', '3'],
  ]);
  assert.deepEqual(negotiateAsServer([['foo', 'bar']], limits, 1).reply, []);
  for (const bad of [[['blksize', '7']], [['windowsize', '0']], [['timeout', '256']], [['tsize', '-1']], [['blksize', '1e3']]] as const) {
    assert.throws(
      () => negotiateAsServer(bad, limits, 1),
      (error: unknown) => error instanceof TftpFailure && error.peerCode === 8,
    );
  }
});

test('client refuses an OACK that raises a size or answers what was not asked', () => {
  const proposal = { blksize: 1468, windowsize: 16, tsize: 0 };
  assert.deepEqual(
    acceptOack(proposal, [
      ['blksize', '1024'],
      ['windowsize', '8'],
      ['tsize', '99'],
    ]),
    {
      blksize: 1024,
      windowsize: 8,
      tsize: 99,
      timeoutSeconds: undefined,
    },
  );
  for (const bad of [[['blksize', '2000']], [['windowsize', '17']], [['timeout', '5']], [['unasked', '1']], [['blksize', '4']]] as const) {
    assert.throws(
      () => acceptOack(proposal, bad),
      (error: unknown) => error instanceof TftpFailure && error.peerCode === 8,
    );
  }
});
