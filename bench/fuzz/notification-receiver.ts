// The manager's notification receiver (src/protocol/snmp/receiver.ts) on a real loopback socket, and the
// family decoders behind it (src/families/, through readNotification). Random datagrams, mutations of a
// genuine v3 trap, traps with a wrong key, an unknown user or community, unauthenticated v3, replays;
// and arbitrary varbinds handed to every family's decoder. Nothing crashes; a refused notification is
// reported and never delivered; a replay delivers nothing but what was first sent; after each input a
// genuine trap still gets through.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import snmp from 'net-snmp';
import { decodeAnyNotification } from '../../src/families/families.ts';
import { readNotification } from '../../src/manager/notifications.ts';
import { oid as mibOid, notificationObjects } from '../../src/protocol/mib.ts';
import { NotificationReceiver, type ReceivedNotification } from '../../src/protocol/snmp/receiver.ts';
import { SnmpSession } from '../../src/protocol/snmp/session.ts';
import { integer, ObjectType, type Varbind } from '../../src/protocol/snmp/varbind.ts';
import { sentNotification } from '../../test/helpers/sent-notification.ts';
import { testUser } from '../../test/helpers/snmp-device.ts';
import { mutate, mutations } from './mutations.ts';
import { fuzzTarget } from './target.ts';
import { sampleCompletion } from '../fixtures/completion.ts';
import { UdpPeer } from './udp-peer.ts';

const community = 'fuzz-community';
/** The varbind that tells the genuine marker trap sent after each input from anything else. */
const markerOid = '1.3.6.1.4.1.32473.99.1.0';

const completion = sampleCompletion(new Date(Date.UTC(2026, 0, 1, 0, 1)));

type Sender = 'wrongAuthKey' | 'wrongPrivKey' | 'unknownUser' | 'unknownCommunity' | 'noAuth';

interface ReceiverBed {
  receiver: NotificationReceiver;
  delivered: ReceivedNotification[];
  rejected: number;
  genuine: SnmpSession;
  forgers: Record<Sender, SnmpSession>;
  /** A genuine v3 trap, a v2c trap and a v2c inform, as sent, for mutation and replay. */
  captured: { v3: Buffer; v2c: Buffer; v2cInform: Buffer };
  peer: UdpPeer;
  markers: number;
}

const familyOids = [
  '1.3.6.1.4.1.9.9.96.2.1.1',
  '1.3.6.1.4.1.9.9.10.1.3.0.1',
  '1.3.6.1.2.1.132.2.0.9',
  '1.3.6.1.2.1.132.2.0.10',
  '1.3.6.1.2.1.132.2.0.11',
  '1.3.6.1.4.1.2011.6.9.1.3.1',
  '1.3.6.1.4.1.2011.6.10.2.2',
  '1.3.6.1.6.3.1.1.5.1',
  '1.3.6.1.6.3.1.1.5.2',
  mibOid('sfOpProgressNotification'),
  mibOid('sfOpCompletionNotification'),
  mibOid('sfBootCompletedNotification'),
];
const objectPrefixes = [
  ...['sfOpProgressNotification', 'sfOpCompletionNotification', 'sfBootCompletedNotification'].flatMap(notificationObjects).map((name) => mibOid(name)),
  '1.3.6.1.4.1.9.9.96.1.1.1.1.10',
  '1.3.6.1.4.1.9.9.96.1.1.1.1.14',
  '1.3.6.1.4.1.9.9.10.1.2.1.1.8',
  '1.3.6.1.4.1.2011.6.9.1.2.1.1.6',
  '1.3.6.1.4.1.2011.6.10.1.2.4.1.5',
  '1.3.6.1.2.1.69.1.3.4',
  '1.3.6.1.2.1.69.1.3.5',
];

const varbindValue: fc.Arbitrary<Pick<Varbind, 'type' | 'value'>> = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((value) => ({ type: ObjectType.Integer, value })),
  fc.integer({ min: -3, max: 300 }).map((value) => ({ type: ObjectType.Integer, value })),
  fc.uint8Array({ maxLength: 40 }).map((b) => ({ type: ObjectType.OctetString, value: Buffer.from(b) })),
  fc.string({ maxLength: 30 }).map((s) => ({ type: ObjectType.OctetString, value: Buffer.from(s) })),
  fc.nat().map((value) => ({ type: ObjectType.Gauge, value })),
  fc.nat().map((value) => ({ type: ObjectType.TimeTicks, value })),
  fc.constant({ type: ObjectType.Null, value: null }),
  fc.constantFrom(...familyOids).map((value) => ({ type: ObjectType.OID, value })),
  fc.constant({ type: ObjectType.NoSuchInstance, value: null }),
);
const varbind: fc.Arbitrary<Varbind> = fc
  .tuple(fc.constantFrom(...objectPrefixes), fc.array(fc.nat({ max: 70_000 }), { maxLength: 3 }), varbindValue)
  .map(([prefix, suffix, v]) => ({ oid: [prefix, ...suffix].join('.'), ...v }) as Varbind);

/** The genuine completion's varbinds with some replaced or dropped: what a buggy or hostile agent sends. */
const decodeInput = fc.record({
  notification: fc.oneof(
    fc.constantFrom(...familyOids),
    fc.array(fc.nat({ max: 1000 }), { minLength: 2, maxLength: 10 }).map((a) => a.join('.')),
  ),
  varbinds: fc.oneof(
    fc.array(varbind, { maxLength: 8 }),
    fc.array(fc.tuple(fc.nat(), varbindValue, fc.boolean()), { maxLength: 4 }).map((edits) => {
      const list = completion.varbinds.map((v) => ({ ...v }));
      for (const [at, value, drop] of edits) {
        const i = at % list.length;
        if (drop) list.splice(i, 1);
        else if (list[i]) list[i] = { oid: list[i]!.oid, ...value } as Varbind;
      }
      return list;
    }),
  ),
});

const networkInput = fc.oneof(
  fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 400 }) }),
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('mutated' as const), v3: fc.boolean(), inform: fc.boolean(), mutations }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('forged' as const),
      sender: fc.constantFrom<Sender>('wrongAuthKey', 'wrongPrivKey', 'unknownUser', 'unknownCommunity', 'noAuth'),
      inform: fc.boolean(),
    }),
  },
  fc.record({ kind: fc.constant('replay' as const), v3: fc.boolean() }),
);
const input = fc.oneof({ weight: 2, arbitrary: decodeInput.map((d) => ({ kind: 'decode' as const, ...d })) }, { weight: 3, arbitrary: networkInput });
type Input = typeof input extends fc.Arbitrary<infer V> ? V : never;

function session(port: number, security: ConstructorParameters<typeof SnmpSession>[0]['security']): SnmpSession {
  return new SnmpSession({ peer: { address: '127.0.0.1', port }, sourceAddress: '127.0.0.1', security, timeoutMs: 100, retries: 0 });
}

/** A v3 session of the right user name that neither authenticates nor encrypts: net-snmp's own, as our wrapper refuses to make one. */
function unauthenticated(port: number): SnmpSession {
  const raw = snmp.createV3Session(
    '127.0.0.1',
    { name: testUser.name, level: snmp.SecurityLevel.noAuthNoPriv },
    { port, trapPort: port, timeout: 100, retries: 0 },
  );
  raw.on('error', () => undefined);
  return {
    trap: (notification: string, varbinds: Varbind[]) => new Promise<void>((resolve) => raw.trap(notification, varbinds, {}, () => resolve())),
    inform: (notification: string, varbinds: Varbind[]) => new Promise<void>((resolve) => raw.inform(notification, varbinds, {}, () => resolve())),
    close: () => raw.close(),
  } as unknown as SnmpSession;
}

async function open(): Promise<ReceiverBed> {
  const receiver = await NotificationReceiver.start({ address: '127.0.0.1', port: 0, users: [testUser], communities: [community] });
  const port = receiver.endpoint.port;
  const v3 = { version: 'v3' as const, user: testUser };
  const bed: ReceiverBed = {
    receiver,
    delivered: [],
    rejected: 0,
    genuine: session(port, v3),
    forgers: {
      wrongAuthKey: session(port, { version: 'v3', user: { ...testUser, authKey: 'not-the-auth-key' } }),
      wrongPrivKey: session(port, { version: 'v3', user: { ...testUser, privKey: 'not-the-priv-key' } }),
      unknownUser: session(port, { version: 'v3', user: { ...testUser, name: 'intruder' } }),
      unknownCommunity: session(port, { version: 'v2c', community: 'not-ours' }),
      noAuth: unauthenticated(port),
    },
    captured: {
      v3: await sentNotification('trap', v3, completion.oid, completion.varbinds),
      v2c: await sentNotification('trap', { version: 'v2c', community }, completion.oid, completion.varbinds),
      v2cInform: await sentNotification('inform', { version: 'v2c', community }, completion.oid, completion.varbinds),
    },
    peer: await UdpPeer.open(),
    markers: 0,
  };
  receiver.on('notification', (n) => {
    bed.delivered.push(n);
    // What the manager does with each one: a family's decoder must take whatever arrives.
    readNotification(n);
  });
  receiver.on('rejected', () => {
    bed.rejected += 1;
  });
  return bed;
}

/** Sends a genuine trap with a fresh marker and waits for it: everything sent before it has been handled. */
async function throughMarker(bed: ReceiverBed): Promise<ReceivedNotification[]> {
  bed.markers += 1;
  const marker = bed.markers;
  await bed.genuine.trap(completion.oid, [...completion.varbinds, integer(markerOid, marker)], 100);
  for (let waited = 0; waited < 3000; waited += 2) {
    const at = bed.delivered.findIndex((n) => n.varbinds.some((v) => v.oid === markerOid && v.value === marker));
    if (at >= 0) {
      const before = bed.delivered.slice(0, at);
      bed.delivered.splice(0, at + 1);
      return before;
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  assert.fail('a genuine trap sent after the input was not delivered');
}

function sameAsGenuine(n: ReceivedNotification): boolean {
  return (
    n.notification === completion.oid &&
    JSON.stringify(n.varbinds.map((v) => [v.oid, Buffer.isBuffer(v.value) ? v.value.toString('hex') : v.value])) ===
      JSON.stringify(completion.varbinds.map((v) => [v.oid, Buffer.isBuffer(v.value) ? v.value.toString('hex') : v.value]))
  );
}

async function check(bed: ReceiverBed, value: Input): Promise<void> {
  if (value.kind === 'decode') {
    const decoded = decodeAnyNotification(value.notification, value.varbinds);
    if (decoded !== undefined)
      assert.ok(['operationProgress', 'operationCompleted', 'bootCompleted'].includes(decoded.kind), `decoded to ${JSON.stringify(decoded)}`);
    return;
  }
  const rejectedBefore = bed.rejected;
  const port = bed.receiver.endpoint.port;
  if (value.kind === 'random') await bed.peer.send(Buffer.from(value.bytes), port);
  else if (value.kind === 'mutated') {
    const original = value.v3 ? bed.captured.v3 : value.inform ? bed.captured.v2cInform : bed.captured.v2c;
    while (await bed.peer.next(0)); // answers to earlier inputs
    const mutated = mutate(original, value.mutations);
    if (mutated.equals(original)) return;
    await bed.peer.send(mutated, port);
  } else if (value.kind === 'replay') await bed.peer.send(value.v3 ? bed.captured.v3 : bed.captured.v2c, port);
  else {
    const forger = bed.forgers[value.sender];
    await (value.inform ? forger.inform(completion.oid, completion.varbinds, 100) : forger.trap(completion.oid, completion.varbinds, 100)).catch(
      () => undefined,
    );
  }
  const arrived = await throughMarker(bed);
  if (value.kind === 'replay') {
    // USM takes a replay inside its time window; what it may deliver is only what was sent the first time.
    for (const n of arrived) assert.ok(sameAsGenuine(n), `a replay delivered something else: ${JSON.stringify(n.varbinds)}`);
    return;
  }
  if (value.kind === 'mutated' && !value.v3) {
    // v2c carries no integrity check: a mutated v2c notification with our community is one like any other.
    // But an inform is acknowledged only once taken in: delivered, or (without snmpTrapOID.0) reported as
    // rejected. Nothing the receiver dropped unseen, a wrong community or an undecodable datagram, is.
    const acknowledgements: Buffer[] = [];
    for (let reply = await bed.peer.next(20); reply; reply = await bed.peer.next(0)) acknowledgements.push(reply.message);
    const taken = arrived.filter((n) => n.kind === 'inform').length + (bed.rejected - rejectedBefore);
    assert.ok(acknowledgements.length <= taken, `${acknowledgements.length} acknowledgements for ${taken} informs taken in`);
    return;
  }
  assert.deepEqual(
    arrived.map((n) => n.notification),
    [],
    `a ${value.kind === 'forged' ? value.sender : value.kind} notification was delivered`,
  );
  // A refused trap is reported. A refused inform is answered to its sender with a USM report by net-snmp
  // itself, which does not tell the application: only its non-delivery is checked.
  if (value.kind === 'forged' && !value.inform) assert.ok(bed.rejected > rejectedBefore, `a ${value.sender} trap was dropped without being reported`);
}

export const notificationReceiverTarget = fuzzTarget({
  name: 'notification-receiver',
  description: 'random, mutated, forged, unauthenticated and replayed notifications to a real receiver; arbitrary varbinds to every family decoder',
  defaultInputs: 30_000,
  open,
  property: (bed: ReceiverBed) => fc.asyncProperty(input, (value) => check(bed, value)),
  close: async (bed: ReceiverBed) => {
    bed.peer.close();
    bed.genuine.close();
    for (const forger of Object.values(bed.forgers)) forger.close();
    await bed.receiver.close();
  },
});
