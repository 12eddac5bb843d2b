// DateAndTime and engine IDs: the encodings the SNMP layer puts on the wire.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeDateAndTime, encodeDateAndTime, unsetDateAndTime } from '../../src/protocol/snmp/date-and-time.ts';
import { engineIdForAddress } from '../../src/protocol/snmp/engine-id.ts';

test('DateAndTime round-trips to the tenth of a second in its 11-octet UTC form', () => {
  fc.assert(
    fc.property(fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }), (date) => {
      const octets = encodeDateAndTime(date);
      assert.equal(octets.length, 11);
      assert.equal(decodeDateAndTime(octets)?.getTime(), Math.floor(date.getTime() / 100) * 100);
    }),
  );
});

test('DateAndTime reads 8 octets, a time zone offset, and refuses nonsense', () => {
  const eight = Buffer.from([0x07, 0xea, 11, 26, 4, 6, 19, 5]);
  assert.equal(decodeDateAndTime(eight)?.toISOString(), '2026-11-26T04:06:19.500Z');
  const plusTwo = Buffer.from([0x07, 0xea, 11, 26, 6, 6, 19, 5, '+'.charCodeAt(0), 2, 0]);
  assert.equal(decodeDateAndTime(plusTwo)?.toISOString(), '2026-11-26T04:06:19.500Z');
  assert.equal(decodeDateAndTime(unsetDateAndTime()), undefined);
  assert.equal(decodeDateAndTime(Buffer.from([0x07, 0xea, 13, 1, 0, 0, 0, 0])), undefined);
  assert.equal(decodeDateAndTime(Buffer.alloc(5)), undefined);
});

test('engine IDs are RFC 3411 IPv4- or IPv6-format IDs, one per address', () => {
  assert.equal(engineIdForAddress('127.0.1.2').toString('hex'), '80007ed9017f000102');
  assert.notDeepEqual(engineIdForAddress('127.0.1.2'), engineIdForAddress('127.0.1.3'));
  assert.equal(engineIdForAddress('::1').toString('hex'), `80007ed902${'00'.repeat(15)}01`);
  assert.throws(() => engineIdForAddress('not-an-address'));
});
