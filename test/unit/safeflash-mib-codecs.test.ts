// Each SAFEFLASH-MIB codec both ways: what the agent encodes, the manager decodes to the same thing.
// No socket: the varbinds are the ones that would go on the wire.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bankCells,
  conditionOids,
  decodeCondition,
  decodeDeviceReading,
  deviceReadingOids,
  deviceScalarCells,
  type DeviceStatus,
} from '../../src/protocol/safeflash-mib/device-scalars.ts';
import { cellsEndpoint, endpointCells } from '../../src/protocol/safeflash-mib/inet-address.ts';
import { bootCompletedNotification, decodeNotification, operationNotification } from '../../src/protocol/safeflash-mib/notifications.ts';
import {
  decodeOperationReading,
  type Operation,
  operationReadingOids,
  operationRowCells,
  orderVarbinds,
} from '../../src/protocol/safeflash-mib/operation-row.ts';
import { objectType, varbindsOf } from '../../src/protocol/safeflash-mib/providers.ts';
import { oid } from '../../src/protocol/mib.ts';
import { bufferValue, numberValue, type Varbind } from '../../src/protocol/snmp/varbind.ts';

const digest = (byte: number) => Buffer.alloc(32, byte);

const status: DeviceStatus = {
  model: 'IAD-2400',
  serial: 'SN-0042',
  runningVersion: '3.2.1',
  previousVersion: '3.1.0',
  activeBank: 'bankB',
  nextBootBank: 'bankB',
  configFormat: 1,
  configDigest: digest(0xab),
  rebootRequired: false,
  lastBootCause: 'commanded',
  bootTime: new Date('2026-12-01T10:00:00Z'),
  banks: [
    { bank: 'bankA', state: 'valid', version: '3.1.0', configFormat: 1, imageDigest: digest(1) },
    { bank: 'bankB', state: 'valid', version: '3.2.1', configFormat: 1, imageDigest: undefined },
  ],
  notifyTarget: { address: '::1', port: 16200 },
  activeCalls: 2,
  registeredLines: 1,
  activeAlarms: 3,
  bankCapacity: 4_194_304,
  ports: [],
};

const operation: Operation = {
  index: 7,
  request: {
    type: 'downloadSoftware',
    protocol: 'ftp',
    server: { address: '127.0.0.9', port: 2121 },
    fileName: 'images/iad-3.2.1.img',
    username: 'sf-7',
    password: 'secret',
    notifyTarget: undefined,
  },
  state: 'failed',
  progress: 41.6,
  failCause: 'imageCorrupt',
  failMessage: 'digest does not match',
  startedAt: new Date('2026-12-01T10:01:00Z'),
  finishedAt: new Date('2026-12-01T10:02:00Z'),
};

/** The varbinds an agent answers a GET of `oids` with, from its cells by object name and instance. */
function answer(oids: string[], cellsOf: (instance: number) => Record<string, unknown>): Varbind[] {
  return oids.map((wanted) => {
    const [name, instance] = objectOf(wanted);
    return varbindsOf([name], cellsOf(instance) as Record<string, Buffer | number>, instance)[0]!;
  });
}

const objectNames = [
  'sfDeviceModel',
  'sfDeviceSerial',
  'sfRunningVersion',
  'sfPreviousVersion',
  'sfActiveBank',
  'sfNextBootBank',
  'sfConfigFormat',
  'sfConfigDigest',
  'sfRebootRequired',
  'sfLastBootCause',
  'sfActiveCalls',
  'sfRegisteredLines',
  'sfActiveAlarms',
  'sfBankCapacity',
  'sfBankState',
  'sfBankVersion',
  'sfBankConfigFormat',
  'sfBankImageDigest',
  'sfOpType',
  'sfOpState',
  'sfOpProgress',
  'sfOpFailCause',
  'sfOpFailMessage',
  'sfOpProtocol',
  'sfOpServerAddressType',
  'sfOpServerAddress',
  'sfOpServerPort',
  'sfOpFileName',
  'sfOpUserName',
  'sfOpPassword',
  'sfOpNotifyAddressType',
  'sfOpNotifyAddress',
  'sfOpNotifyPort',
  'sfOpRowStatus',
];
function objectOf(wanted: string): [string, number] {
  for (const name of objectNames) {
    const prefix = `${oid(name)}.`;
    if (wanted.startsWith(prefix)) return [name, Number(wanted.slice(prefix.length))];
  }
  throw new Error(`no object for ${wanted}`);
}

test('device group: the cells an agent serves read back as the device is', () => {
  const banks = new Map(status.banks.map((b) => [bankCells(b).sfBankIndex as number, bankCells(b)]));
  const reading = decodeDeviceReading(answer(deviceReadingOids(), (instance) => (instance === 0 ? deviceScalarCells(status) : banks.get(instance)!)));
  assert.deepEqual(reading, {
    model: 'IAD-2400',
    serial: 'SN-0042',
    runningVersion: '3.2.1',
    previousVersion: '3.1.0',
    activeBank: 'bankB',
    nextBootBank: 'bankB',
    configFormat: 1,
    configDigest: 'ab'.repeat(32),
    rebootRequired: false,
    lastBootCause: 'commanded',
    banks: [
      { bank: 'bankA', state: 'valid', version: '3.1.0', configFormat: 1, imageDigest: '01'.repeat(32) },
      // No digest reported: none read back.
      { bank: 'bankB', state: 'valid', version: '3.2.1', configFormat: 1 },
    ],
  });
});

test('condition group: calls, lines, alarms and bank capacity read back as the device has them', () => {
  const condition = decodeCondition(answer(conditionOids(), () => deviceScalarCells(status)));
  assert.deepEqual(condition, { activeCalls: 2, registeredLines: 1, activeAlarms: 3, bankCapacity: 4_194_304 });
  // A device without the group (an older agent) answers noSuchObject: refused, naming the object.
  const missing = answer(conditionOids(), () => deviceScalarCells(status)).map((v, i) => (i === 1 ? { ...v, type: 128, value: null } : v));
  assert.throws(() => decodeCondition(missing as Varbind[]), { name: 'DeviceAnswerError', message: /sfRegisteredLines/ });
});

test('device group: a value the MIB does not define is refused, naming the object', () => {
  const cells = { ...deviceScalarCells(status), sfActiveBank: 9 };
  const banks = new Map(status.banks.map((b) => [bankCells(b).sfBankIndex as number, bankCells(b)]));
  assert.throws(() => decodeDeviceReading(answer(deviceReadingOids(), (i) => (i === 0 ? cells : banks.get(i)!))), {
    name: 'DeviceAnswerError',
    message: /sfActiveBank has no value 9/,
  });
});

test('operation row: the row an agent serves reads back as the operation is', () => {
  const reading = decodeOperationReading(
    7,
    answer(operationReadingOids(7), () => operationRowCells(operation)),
  );
  assert.deepEqual(reading, {
    index: 7,
    type: 'downloadSoftware',
    state: 'failed',
    progress: 42,
    failCause: 'imageCorrupt',
    failMessage: 'digest does not match',
  });
});

test('operation order: the SET names every parameter given, IPv4 and IPv6, and ends with createAndGo', () => {
  const set = orderVarbinds(3, {
    type: 'backupConfig',
    protocol: 'tftp',
    server: { address: '::1', port: 69 },
    fileName: 'b.cfg',
    notifyTarget: { address: '127.0.0.1', port: 162 },
  });
  const named = new Map(set.map((v) => [objectOf(v.oid)[0], v]));
  assert.deepEqual(
    [...named.keys()],
    [
      'sfOpType',
      'sfOpProtocol',
      'sfOpServerAddressType',
      'sfOpServerAddress',
      'sfOpServerPort',
      'sfOpFileName',
      'sfOpNotifyAddressType',
      'sfOpNotifyAddress',
      'sfOpNotifyPort',
      'sfOpRowStatus',
    ],
  );
  for (const v of set) assert.equal(v.type, objectType(objectOf(v.oid)[0]), `${objectOf(v.oid)[0]} has the MIB's type`);
  const server = cellsEndpoint(
    {
      type: numberValue(named.get('sfOpServerAddressType')!),
      address: bufferValue(named.get('sfOpServerAddress')!),
      port: numberValue(named.get('sfOpServerPort')!),
    },
    0,
  );
  assert.deepEqual(server, { address: '::1', port: 69 });
  assert.throws(() => orderVarbinds(3, { type: 'reboot', server: { address: 'not-an-address', port: 69 } }), /not an IP address/);
});

test('inet address: ipv4, ipv6 and none go into cells and come back', () => {
  for (const endpoint of [{ address: '127.0.0.5', port: 1162 }, { address: '::1', port: 162 }, undefined]) {
    assert.deepEqual(cellsEndpoint(endpointCells(endpoint), 162), endpoint);
  }
  assert.equal(
    typeof cellsEndpoint({ ...endpointCells({ address: '::1', port: 1 }), address: Buffer.alloc(4) }, 162),
    'string',
    'an ipv6 type with 4 octets is inconsistent',
  );
});

test('notifications: what the agent sends, the manager reads as the same event', () => {
  const progress = operationNotification('sfOpProgressNotification', { ...operation, state: 'running', progress: 12 });
  assert.deepEqual(decodeNotification(progress.oid, progress.varbinds), {
    kind: 'operationProgress',
    index: 7,
    type: 'downloadSoftware',
    state: 'running',
    progress: 12,
  });
  const done = operationNotification('sfOpCompletionNotification', operation);
  assert.deepEqual(decodeNotification(done.oid, done.varbinds), {
    kind: 'operationCompleted',
    index: 7,
    type: 'downloadSoftware',
    state: 'failed',
    failCause: 'imageCorrupt',
    failMessage: 'digest does not match',
  });
  const boot = bootCompletedNotification(status);
  assert.deepEqual(decodeNotification(boot.oid, boot.varbinds), {
    kind: 'bootCompleted',
    runningVersion: '3.2.1',
    previousVersion: '3.1.0',
    activeBank: 'bankB',
    lastBootCause: 'commanded',
  });
  assert.equal(decodeNotification('1.3.6.1.4.1.99999.1', boot.varbinds), undefined, 'not one of ours');
  assert.equal(decodeNotification(boot.oid, boot.varbinds.slice(1)), undefined, 'an object missing');
});
