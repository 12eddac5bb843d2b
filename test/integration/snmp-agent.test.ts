// The SNMP path without external tools: our session and receiver against a real virtual device's
// SAFEFLASH-MIB agent, over real UDP on loopback, SNMPv3 authPriv and v2c.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import { enumeration, oid } from '../../src/protocol/mib.ts';
import { decodeDateAndTime } from '../../src/protocol/snmp/date-and-time.ts';
import { SnmpError } from '../../src/protocol/snmp/errors.ts';
import { interfaceColumns } from '../../src/protocol/snmp/interfaces-group.ts';
import { NotificationReceiver, type ReceivedNotification } from '../../src/protocol/snmp/receiver.ts';
import { SnmpSession } from '../../src/protocol/snmp/session.ts';
import { bufferValue, integer, isUnder, numberValue, octets, unsigned, type Varbind } from '../../src/protocol/snmp/varbind.ts';
import { pollFor, startSnmpDevice, testUser, v2c, v3, type SnmpDevice } from '../helpers/snmp-device.ts';

const opType = enumeration('sfOpType');
const opState = enumeration('sfOpState');
const rowStatus = { createAndGo: 4, createAndWait: 5, destroy: 6 } as const; // RFC 2579 RowStatus
const ipv4 = 1; // RFC 4001 InetAddressType ipv4

function col(name: string, index: number): string {
  return `${oid(name)}.${index}`;
}

async function rejection(promise: Promise<unknown>): Promise<SnmpError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SnmpError, `expected an SnmpError, got ${String(error)}`);
    return error;
  }
  assert.fail('the request succeeded');
}

describe('SAFEFLASH-MIB agent through our own SNMP session', () => {
  let bench: SnmpDevice;
  let session: SnmpSession;

  before(async () => {
    bench = await startSnmpDevice({ rebootMs: 1500 });
    session = new SnmpSession({ peer: bench.endpoint, security: v3, timeoutMs: 500, retries: 2 });
  });
  after(async () => {
    session.close();
    await bench.close();
  });

  test('GET of the device scalars over SNMPv3 authPriv', async () => {
    const names = ['sfDeviceModel', 'sfRunningVersion', 'sfConfigDigest', 'sfBootTime', 'sfActiveBank'];
    const varbinds = await session.get(names.map((n) => `${oid(n)}.0`));
    assert.equal(bufferValue(varbinds[0]!).toString(), 'IAD-2400');
    assert.equal(bufferValue(varbinds[1]!).toString(), '1.0.0');
    assert.equal(bufferValue(varbinds[2]!).length, 32);
    assert.ok(decodeDateAndTime(bufferValue(varbinds[3]!)) instanceof Date);
    assert.equal(numberValue(varbinds[4]!), enumeration('sfActiveBank').number('bankA'));
  });

  test('v2c walk of the whole MIB is in order and holds both banks', async () => {
    const plain = new SnmpSession({ peer: bench.endpoint, security: v2c, timeoutMs: 500 });
    try {
      const varbinds = await plain.walk(oid('safeflashMIB'));
      const oids = varbinds.map((v) => v.oid);
      assert.ok(oids.includes(`${oid('sfDeviceSerial')}.0`));
      assert.deepEqual(
        oids.filter((o) => isUnder(o, oid('sfBankState'))),
        [col('sfBankState', 1), col('sfBankState', 2)],
      );
      const sorted = [...oids].sort((a, b) => compareOids(a, b));
      assert.deepEqual(oids, sorted);
    } finally {
      plain.close();
    }
  });

  test('columns walked side by side read what a walk of each reads, whatever their lengths and the repetitions', async () => {
    // The ports (4 rows), the banks (2), and a column past the end of the MIB's tables (no rows).
    const columns = [interfaceColumns.ifDescr.oid, interfaceColumns.ifOperStatus.oid, oid('sfBankState'), oid('sfBankVersion'), `${oid('safeflashMIB')}.99`];
    const walked = await Promise.all(columns.map((column) => session.walk(column)));
    assert.equal(walked[0]!.length, 4);
    assert.equal(walked[2]!.length, 2);
    assert.equal(walked[4]!.length, 0);
    for (const maxRepetitions of [1, 3, 20]) assert.deepEqual(await session.walkColumns(columns, maxRepetitions), walked, `${maxRepetitions} repetitions`);
  });

  test('reads of what is not served answer noSuchObject or noSuchInstance beside served values', async () => {
    const [served, noInstance, noObject] = await session.get([`${oid('sfDeviceModel')}.0`, col('sfOpState', 999), '1.3.6.1.4.1.99999.1.0']);
    assert.equal(bufferValue(served!).toString(), 'IAD-2400');
    assert.equal(noInstance!.type, 129);
    assert.equal(noObject!.type, 128);
    // Past the end of the MIB net-snmp answers noSuchObject rather than endOfMibView: kept as it was.
    const [last] = await session.getNext(['1.3.6.1.6.3.99999']);
    assert.equal(last!.type, 128);
  });

  test('past the last instance of the MIB, GETNEXT and GETBULK answer endOfMibView at the OID asked from', async () => {
    const plain = new SnmpSession({ peer: bench.endpoint, security: v2c, timeoutMs: 500 });
    try {
      const last = (await plain.walk('1.3.6.1')).at(-1)!;
      const [next] = await session.getNext([last.oid]);
      assert.deepEqual([next!.oid, next!.type], [last.oid, 130]);
      // A bulk read of the last instance's column runs into the end of the MIB and stops there.
      const column = last.oid.split('.').slice(0, -1).join('.');
      const [viaBulk] = await session.walkColumns([column], 3);
      assert.deepEqual(
        viaBulk!.map((varbind) => varbind.oid),
        (await plain.walk(column)).map((varbind) => varbind.oid),
      );
      assert.equal(viaBulk!.at(-1)!.oid, last.oid);
    } finally {
      plain.close();
    }
  });

  test('a wrong key gets no answer that authenticates', async () => {
    const intruder = new SnmpSession({
      peer: bench.endpoint,
      security: { version: 'v3', user: { ...testUser, authKey: 'not-the-key' } },
      timeoutMs: 300,
      retries: 0,
    });
    try {
      const error = await rejection(intruder.get([`${oid('sfDeviceModel')}.0`]));
      assert.ok(error.failure === 'authentication' || error.failure === 'timeout', error.message);
    } finally {
      intruder.close();
    }
  });

  test('bad SETs get the right error and create no row', async () => {
    const i = 41;
    const cases: Array<[string, Varbind[], string]> = [
      ['type as octets', [octets(col('sfOpType', i), 'x'), integer(col('sfOpRowStatus', i), rowStatus.createAndGo)], 'wrongType'],
      ['unknown type', [integer(col('sfOpType', i), 99), integer(col('sfOpRowStatus', i), rowStatus.createAndGo)], 'wrongValue'],
      [
        'file name too long',
        [
          integer(col('sfOpType', i), opType.number('backupConfig')),
          octets(col('sfOpFileName', i), 'a'.repeat(256)),
          integer(col('sfOpRowStatus', i), rowStatus.createAndGo),
        ],
        'wrongLength',
      ],
      [
        '5-octet ipv4 address',
        [
          integer(col('sfOpType', i), opType.number('backupConfig')),
          integer(col('sfOpServerAddressType', i), ipv4),
          octets(col('sfOpServerAddress', i), Buffer.from([127, 0, 0, 1, 1])),
          octets(col('sfOpFileName', i), 'f'),
          integer(col('sfOpRowStatus', i), rowStatus.createAndGo),
        ],
        'inconsistentValue',
      ],
      ['no type', [integer(col('sfOpRowStatus', i), rowStatus.createAndGo)], 'inconsistentValue'],
      [
        'backup without server',
        [
          integer(col('sfOpType', i), opType.number('backupConfig')),
          octets(col('sfOpFileName', i), 'f'),
          integer(col('sfOpRowStatus', i), rowStatus.createAndGo),
        ],
        'inconsistentValue',
      ],
      ['createAndWait', [integer(col('sfOpType', i), opType.number('reboot')), integer(col('sfOpRowStatus', i), rowStatus.createAndWait)], 'wrongValue'],
      ['column without row status', [integer(col('sfOpType', i), opType.number('reboot'))], 'noCreation'],
      [
        'port out of range',
        [
          integer(col('sfOpType', i), opType.number('reboot')),
          unsigned(col('sfOpNotifyPort', i), 70000),
          integer(col('sfOpRowStatus', i), rowStatus.createAndGo),
        ],
        'wrongValue',
      ],
      ['read-only scalar', [octets(`${oid('sfDeviceModel')}.0`, 'x')], 'notWritable'],
      [
        'notify address of 3 octets',
        [integer(`${oid('sfNotifyAddressType')}.0`, ipv4), octets(`${oid('sfNotifyAddress')}.0`, Buffer.from([127, 0, 0]))],
        'inconsistentValue',
      ],
    ];
    for (const [what, varbinds, status] of cases) {
      const error = await rejection(session.set(varbinds));
      assert.equal(error.status, status, what);
    }
    assert.deepEqual(await session.walk(oid('sfOpTable')), []);
    assert.equal(bench.device.operations().length, 0);
    assert.equal(bench.device.status().notifyTarget, undefined);
  });

  test('garbage datagrams to the agent are ignored', async () => {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const junk = [Buffer.alloc(0), Buffer.from('hello'), Buffer.from([0x30, 0x82, 0xff, 0xff, 0x02]), Buffer.alloc(1400, 0x30)];
    for (const j of junk) await new Promise<void>((resolve) => socket.send(j, bench.endpoint.port, bench.endpoint.address, () => resolve()));
    socket.close();
    const [model] = await session.get([`${oid('sfDeviceModel')}.0`]);
    assert.equal(bufferValue(model!).toString(), 'IAD-2400');
  });

  test('one SET creates a reboot; the device is silent while it reboots; notifications arrive as informs', async () => {
    const receiver = await NotificationReceiver.start({ address: '127.0.0.1', port: 0, users: [testUser] });
    const received: ReceivedNotification[] = [];
    receiver.on('notification', (n) => received.push(n));
    try {
      const { address, port } = receiver.endpoint;
      await session.set([
        integer(`${oid('sfNotifyAddressType')}.0`, ipv4),
        octets(`${oid('sfNotifyAddress')}.0`, Buffer.from(address.split('.').map(Number))),
        unsigned(`${oid('sfNotifyPort')}.0`, port),
      ]);
      assert.deepEqual(bench.device.status().notifyTarget, { address, port });

      const index = 7;
      const create = [integer(col('sfOpType', index), opType.number('reboot')), integer(col('sfOpRowStatus', index), rowStatus.createAndGo)];
      await session.set(create);
      const quick = new SnmpSession({ peer: bench.endpoint, security: v3, timeoutMs: 200, retries: 0 });
      try {
        // The reboot starts just after the SET is answered; from then on until it is up again, not a word.
        const silence = await pollFor(
          async () => {
            try {
              await quick.get([`${oid('sfDeviceModel')}.0`]);
              return undefined;
            } catch (error) {
              return error as SnmpError;
            }
          },
          20,
          10,
        );
        assert.equal(silence.failure, 'timeout');
      } finally {
        quick.close();
      }
      const state = await pollFor(async () => {
        try {
          const [v] = await session.get([col('sfOpState', index)]);
          const s = opState.label(numberValue(v!));
          return s === 'successful' || s === 'failed' ? s : undefined;
        } catch {
          return undefined; // still rebooting
        }
      });
      assert.equal(state, 'successful');
      // The same SET again is harmless: accepted, nothing new.
      await session.set(create);
      assert.equal(bench.device.operations().length, 1);
      const [status] = await session.get([col('sfOpRowStatus', index)]);
      assert.equal(numberValue(status!), 1, 'an existing row reads back active(1)');

      const completion = await pollFor(async () => received.find((n) => n.notification === oid('sfOpCompletionNotification')));
      assert.equal(completion.kind, 'inform');
      assert.equal(completion.version, 'v3');
      assert.equal(completion.from.address, bench.endpoint.address, 'sent from the device address');
      const stateVarbind = completion.varbinds.find((v) => v.oid === col('sfOpState', index));
      assert.equal(numberValue(stateVarbind!), opState.number('successful'));
      await pollFor(async () => received.find((n) => n.notification === oid('sfBootCompletedNotification')));

      await session.set([integer(col('sfOpRowStatus', index), rowStatus.destroy)]);
      assert.deepEqual(await session.walk(oid('sfOpTable')), []);
    } finally {
      await receiver.close();
    }
  });
});

describe('notifier delivery', () => {
  test('an inform nobody acknowledges is sent again as a trap', async () => {
    const bench = await startSnmpDevice({ notifySecurity: v2c, informTimeoutMs: 100, informRetries: 1 });
    const silent = dgram.createSocket('udp4');
    const datagrams: Buffer[] = [];
    silent.on('message', (m) => datagrams.push(m));
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      await bench.device.setNotifyTarget({ address: '127.0.0.1', port: silent.address().port });
      bench.device.createOperation(3, {
        type: 'revertSoftware',
        protocol: 'tftp',
        server: undefined,
        fileName: '',
        username: '',
        password: '',
        notifyTarget: undefined,
      });
      const outcome = await pollFor(async () => bench.outcomes.find((o) => o.name === 'sfOpCompletionNotification'));
      assert.equal(outcome.delivery, 'trap');
      // Two inform attempts (first + one retry) and the trap, at least, for this one notification.
      assert.ok(datagrams.length >= 3);
    } finally {
      silent.close();
      await bench.close();
    }
  });

  test('dropNotifications=1 drops every notification', async () => {
    const bench = await startSnmpDevice({ notifySecurity: v2c, faults: { dropNotifications: 1 } });
    const receiver = await NotificationReceiver.start({ address: '127.0.0.1', port: 0, communities: ['testing'] });
    const received: ReceivedNotification[] = [];
    receiver.on('notification', (n) => received.push(n));
    try {
      await bench.device.setNotifyTarget(receiver.endpoint);
      bench.device.createOperation(4, {
        type: 'revertSoftware',
        protocol: 'tftp',
        server: undefined,
        fileName: '',
        username: '',
        password: '',
        notifyTarget: undefined,
      });
      const outcome = await pollFor(async () => bench.outcomes.find((o) => o.name === 'sfOpCompletionNotification'));
      assert.equal(outcome.delivery, 'dropped');
      await bench.agent.notifier.idle();
      assert.deepEqual(received, []);
    } finally {
      await receiver.close();
      await bench.close();
    }
  });
});

function compareOids(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}
