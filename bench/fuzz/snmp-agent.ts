// The device agent's SNMP request handling (src/agent/snmp) on a real loopback socket: random and mutated
// BER datagrams, and SETs that each carry at least one varbind the agent must refuse (a wrong type, a
// wrong length, a value out of range, a read-only object, RowStatus misuse), mixed with valid varbinds in
// any order, over v2c and v3. A refused SET changes nothing (SNMP SETs are all or nothing): the device's
// status and operation table read the same afterwards, and the agent still answers a valid GET.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { enumeration, oid } from '../../src/protocol/mib.ts';
import { SnmpError } from '../../src/protocol/snmp/errors.ts';
import { SnmpSession } from '../../src/protocol/snmp/session.ts';
import { bufferValue, integer, ObjectType, octets, unsigned, type Varbind } from '../../src/protocol/snmp/varbind.ts';
import { type SnmpDevice, startSnmpDevice, v2c, v3 } from '../../test/helpers/snmp-device.ts';
import { mutate, mutations } from './mutations.ts';
import { fuzzTarget } from './target.ts';
import { UdpPeer } from './udp-peer.ts';

const opType = enumeration('sfOpType');
const rowStatus = { active: 1, notInService: 2, notReady: 3, createAndGo: 4, createAndWait: 5, destroy: 6 } as const;
/** A row made when the bed opens (a backup that fails at once): RowStatus misuse aims at it too. */
const existingRow = 1;
const col = (name: string, index: number) => `${oid(name)}.${index}`;
const scalar = (name: string) => `${oid(name)}.0`;

const index = fc.oneof(fc.constant(existingRow), fc.integer({ min: 2, max: 2_147_483_647 }));
const anyType = fc.constantFrom(
  ObjectType.Integer,
  ObjectType.OctetString,
  ObjectType.Null,
  ObjectType.OID,
  ObjectType.IpAddress,
  ObjectType.Counter,
  ObjectType.Gauge,
  ObjectType.TimeTicks,
  ObjectType.Opaque,
  ObjectType.Counter64,
);

/** One varbind the agent must refuse, with what makes it wrong. */
interface Poison {
  why: string;
  varbinds: readonly Varbind[];
  mayRepeat?: boolean;
}

const poison: fc.Arbitrary<Poison> = fc.oneof<fc.Arbitrary<Poison>[]>(
  index.map((i) => ({ why: 'sfOpType as octets', varbinds: [octets(col('sfOpType', i), 'x')] })),
  index.map((i) => ({ why: 'sfOpFileName as an integer', varbinds: [integer(col('sfOpFileName', i), 7)] })),
  fc.constant({ why: 'sfNotifyPort as octets', varbinds: [octets(scalar('sfNotifyPort'), 'port')] }),
  index.map((i) => ({ why: 'sfOpRowStatus as octets', varbinds: [octets(col('sfOpRowStatus', i), Buffer.from([4]))] })),
  fc
    .tuple(index, fc.integer({ min: 256, max: 1400 }))
    .map(([i, n]) => ({ why: 'a file name too long', varbinds: [octets(col('sfOpFileName', i), 'f'.repeat(n))] })),
  fc
    .tuple(index, fc.oneof(fc.constantFrom(0, -1, 99), fc.integer({ min: 6, max: 2_000_000 })))
    .map(([i, t]) => ({ why: 'an unknown operation type', varbinds: [integer(col('sfOpType', i), t)] })),
  fc
    .tuple(index, fc.integer({ min: 65_536, max: 4_294_967_295 }))
    .map(([i, p]) => ({ why: 'a notify port out of range', varbinds: [unsigned(col('sfOpNotifyPort', i), p)] })),
  fc
    .tuple(index, fc.constantFrom(0, rowStatus.notReady, rowStatus.createAndWait, 7, 255, -4))
    .map(([i, s]) => ({ why: `RowStatus ${s}`, varbinds: [integer(col('sfOpRowStatus', i), s)] })),
  fc
    .tuple(fc.integer({ min: 2, max: 1_000_000 }), fc.constantFrom(rowStatus.active, rowStatus.notInService))
    .map(([i, s]) => ({ why: `RowStatus ${s} on a row that does not exist`, varbinds: [integer(col('sfOpRowStatus', i), s)] })),
  fc
    .constantFrom('sfDeviceModel', 'sfRunningVersion', 'sfActiveBank', 'sfConfigDigest', 'sfBootTime')
    .map((name) => ({ why: `read-only ${name}`, varbinds: [octets(scalar(name), 'x')] })),
  index.map((i) => ({ why: 'read-only sfOpState', varbinds: [integer(col('sfOpState', i), 3)] })),
  fc
    .integer({ min: 2, max: 1_000_000 })
    .map((i) => ({ why: 'a column of a missing row without RowStatus', varbinds: [integer(col('sfOpType', i), opType.number('reboot'))] })),
  fc.constant({
    why: 'createAndGo again on the existing row, with another request',
    varbinds: [integer(col('sfOpType', existingRow), opType.number('reboot')), integer(col('sfOpRowStatus', existingRow), rowStatus.createAndGo)],
    mayRepeat: true,
  }),
  fc
    .tuple(anyType, fc.constantFrom('sfOpType', 'sfOpProtocol', 'sfOpServerPort', 'sfOpRowStatus'))
    .filter(([type, name]) => type !== ObjectType.Integer && !(name === 'sfOpServerPort' && type === ObjectType.Gauge))
    .map(([type, name]) => ({ why: `${name} as type ${type}`, varbinds: [typed(col(name, 2), type)] })),
);

function typed(target: string, type: number): Varbind {
  switch (type) {
    case ObjectType.OctetString:
    case ObjectType.Opaque:
      return { oid: target, type, value: Buffer.from('zz') };
    case ObjectType.Null:
      return { oid: target, type, value: null };
    case ObjectType.OID:
      return { oid: target, type, value: '1.3.6.1' };
    case ObjectType.IpAddress:
      return { oid: target, type, value: '127.0.0.1' };
    case ObjectType.Counter64:
      // net-snmp encodes a Counter64 from its big-endian bytes.
      return { oid: target, type, value: Buffer.from([0, 0, 0, 5]) };
    default:
      return { oid: target, type, value: 5 };
  }
}

/** Varbinds that are fine alone: a whole reboot order, notify settings. The poison must sink them too. */
const companion: fc.Arbitrary<Varbind[]> = fc.oneof(
  fc
    .integer({ min: 2, max: 1_000_000 })
    .map((i) => [integer(col('sfOpType', i), opType.number('reboot')), integer(col('sfOpRowStatus', i), rowStatus.createAndGo)]),
  fc
    .integer({ min: 1024, max: 65535 })
    .map((p) => [
      integer(scalar('sfNotifyAddressType'), 1),
      octets(scalar('sfNotifyAddress'), Buffer.from([127, 0, 0, 9])),
      unsigned(scalar('sfNotifyPort'), p),
    ]),
  fc.integer({ min: 2, max: 1_000_000 }).map((i) => [octets(col('sfOpFileName', i), 'image.sfimg')]),
);

const badSet = fc.record({
  poison,
  companions: fc.array(companion, { maxLength: 3 }),
  order: fc.array(fc.nat(), { maxLength: 12 }),
  version: fc.constantFrom('v2c', 'v3'),
});

interface AgentBed {
  bench: SnmpDevice;
  sessions: { v2c: SnmpSession; v3: SnmpSession };
  peer: UdpPeer;
  datagrams: Buffer[];
}

const datagramInput = fc.record({ base: fc.nat(), mutations, random: fc.option(fc.uint8Array({ maxLength: 400 }), { nil: undefined, freq: 3 }) });
const input = fc.oneof(
  { weight: 3, arbitrary: badSet.map((s) => ({ kind: 'set' as const, ...s })) },
  datagramInput.map((d) => ({ kind: 'datagram' as const, ...d })),
);
type Input = typeof input extends fc.Arbitrary<infer V> ? V : never;

function snapshot(bed: AgentBed): string {
  return JSON.stringify({ status: bed.bench.device.status(), operations: bed.bench.device.operations() });
}

/** Datagrams as our own sessions send them (a v2c GET, a GETBULK, a refused SET, a v3 discovery), caught on a socket. */
async function captureDatagrams(): Promise<Buffer[]> {
  const catcher = await UdpPeer.open();
  const port = catcher.socket.address().port;
  const caught: Buffer[] = [];
  const quiet = async (work: (s: SnmpSession) => Promise<unknown>, security = v2c) => {
    const session = new SnmpSession({ peer: { address: '127.0.0.1', port }, security, timeoutMs: 50, retries: 0 });
    await work(session).catch(() => undefined);
    session.close();
    // The datagram is on its way: a generous wait costs nothing, and a loaded machine may be slow to read it.
    const reply = await catcher.next(2000);
    if (reply) caught.push(reply.message);
  };
  await quiet((s) => s.get([scalar('sfDeviceModel'), scalar('sfRunningVersion')]));
  await quiet((s) => s.walk(oid('sfOpTable'), 50));
  await quiet((s) => s.set([octets(col('sfOpType', 9), 'x'), integer(col('sfOpRowStatus', 9), rowStatus.createAndGo)]));
  await quiet((s) => s.get([scalar('sfDeviceModel')]), v3);
  catcher.close();
  if (caught.length < 4) throw new Error(`caught ${caught.length} datagrams to mutate, expected 4`);
  return caught;
}

async function open(): Promise<AgentBed> {
  const datagrams = await captureDatagrams();
  const bench = await startSnmpDevice();
  const sessions = {
    v2c: new SnmpSession({ peer: bench.endpoint, security: v2c, timeoutMs: 1000, retries: 2 }),
    v3: new SnmpSession({ peer: bench.endpoint, security: v3, timeoutMs: 1000, retries: 2 }),
  };
  // A backup to an FTP server that refuses the connection: the row fails at once and stays, for RowStatus
  // misuse. It must have ended before the round starts, or its own progress would read as a change.
  bench.device.createOperation(existingRow, {
    type: 'backupConfig',
    protocol: 'ftp',
    server: { address: '127.0.0.1', port: 9 },
    fileName: 'nowhere.cfg',
    username: 'nobody',
    password: 'nothing',
    notifyTarget: undefined,
  });
  const ended = () => ['successful', 'failed'].includes(bench.device.operation(existingRow)?.state ?? '');
  for (let i = 0; i < 600 && !ended(); i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(ended(), 'the existing row ended before the round');
  return { bench, sessions, peer: await UdpPeer.open(), datagrams };
}

async function answersGet(bed: AgentBed): Promise<void> {
  const [model] = await bed.sessions.v3.get([scalar('sfDeviceModel')]);
  assert.equal(bufferValue(model!).toString(), 'IAD-2400', 'the agent still answers a valid GET');
}

async function check(bed: AgentBed, value: Input): Promise<void> {
  const before = snapshot(bed);
  if (value.kind === 'datagram') {
    const base = bed.datagrams[value.base % bed.datagrams.length]!;
    const datagram = value.random ? Buffer.from(value.random) : mutate(base, value.mutations);
    await bed.peer.send(datagram, bed.bench.endpoint.port);
    await bed.peer.next(5);
  } else {
    const varbinds = [...value.companions.flat()];
    for (const [i, v] of value.poison.varbinds.entries()) varbinds.splice((value.order[i] ?? 0) % (varbinds.length + 1), 0, v);
    try {
      await bed.sessions[value.version as 'v2c' | 'v3'].set(varbinds);
      assert.ok(value.poison.mayRepeat, `a SET with ${value.poison.why} was accepted`);
    } catch (error) {
      assert.ok(error instanceof SnmpError, `the SET failed with ${String(error)}`);
      assert.equal(error.failure, 'errorStatus', `a SET with ${value.poison.why} got no error answer: ${error.message}`);
    }
  }
  await answersGet(bed);
  assert.equal(snapshot(bed), before, 'refused input changed the device');
}

export const snmpAgentTarget = fuzzTarget({
  name: 'snmp-agent',
  description: 'poisoned SETs (v2c, v3) and random or mutated BER datagrams to a real device agent; nothing changes, GET still answered',
  defaultInputs: 20_000,
  open,
  property: (bed: AgentBed) => fc.asyncProperty(input, (value) => check(bed, value)),
  close: async (bed: AgentBed) => {
    bed.peer.close();
    bed.sessions.v2c.close();
    bed.sessions.v3.close();
    await bed.bench.close();
  },
});
