// The v2c inform acknowledgement made from the inform's own datagram: exactly the PDU tag changes, and
// anything that is not a well-formed v2c InformRequest message gets no acknowledgement from it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sampleCompletion } from '../../bench/fixtures/completion.ts';
import { informAcknowledgement } from '../../src/protocol/snmp/inform-acknowledgement.ts';
import { octets, type Varbind } from '../../src/protocol/snmp/varbind.ts';
import { sentNotification } from '../helpers/sent-notification.ts';
import { testUser, v2c } from '../helpers/snmp-device.ts';
import type { SnmpSecurity } from '../../src/protocol/snmp/security.ts';

const completion = sampleCompletion(new Date(Date.UTC(2026, 0, 1)));

function sent(kind: 'inform' | 'trap', security: SnmpSecurity, varbinds: Varbind[] = completion.varbinds): Promise<Buffer> {
  return sentNotification(kind, security, completion.oid, varbinds);
}

/** A copy of a v2c message whose version INTEGER says `version` instead (0 SNMPv1, 3 SNMPv3). */
function withVersion(message: Buffer, version: number): Buffer {
  const copy = Buffer.from(message);
  copy[message.indexOf(Buffer.of(0x02, 0x01, 0x01)) + 2] = version;
  return copy;
}

/** The indexes where two datagrams of one length differ. */
function differences(a: Buffer, b: Buffer): number[] {
  assert.equal(a.length, b.length);
  return [...a.keys()].filter((i) => a[i] !== b[i]);
}

test('a v2c inform is acknowledged by the same datagram with the InformRequest tag turned into Response', async () => {
  // One inform of 157 bytes (lengths of one octet after 0x81), one above 255 bytes (two octets after 0x82).
  const long = [...completion.varbinds, octets('1.3.6.1.4.1.32473.9.1.0', Buffer.alloc(600, 0x61))];
  for (const varbinds of [completion.varbinds, long]) {
    const inform = await sent('inform', v2c, varbinds);
    const kept = Buffer.from(inform);
    const acknowledgement = informAcknowledgement(inform);
    assert.ok(acknowledgement, 'a genuine v2c inform got no acknowledgement');
    const changed = differences(inform, acknowledgement);
    assert.equal(changed.length, 1);
    assert.equal(inform[changed[0]!], 0xa6);
    assert.equal(acknowledgement[changed[0]!], 0xa2);
    assert.deepEqual(inform, kept, 'the inform datagram itself was changed');
  }
});

test('traps, SNMPv3 and SNMPv1 messages, truncated or padded datagrams get no acknowledgement from the datagram', async () => {
  const inform = await sent('inform', v2c);
  assert.equal(informAcknowledgement(await sent('trap', v2c)), undefined, 'a v2c trap');
  // A v3 inform starts with the discovery of the receiver's engine; a v3 trap is sent at once, encrypted.
  assert.equal(informAcknowledgement(await sent('trap', { version: 'v3', user: testUser })), undefined, 'a v3 trap');
  assert.equal(informAcknowledgement(withVersion(inform, 3)), undefined, 'an inform in a message that says SNMPv3');
  assert.equal(informAcknowledgement(withVersion(inform, 0)), undefined, 'an inform in a message that says SNMPv1');
  for (let length = 0; length < inform.length; length++) assert.equal(informAcknowledgement(inform.subarray(0, length)), undefined, `cut at ${length}`);
  assert.equal(informAcknowledgement(Buffer.concat([inform, Buffer.of(0)])), undefined, 'a byte after the message');
});
