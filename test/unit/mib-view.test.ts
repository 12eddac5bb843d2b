// The agent's MIB view writes into net-snmp's Mib only what changed since the last refresh: what a
// request reads must still be the latest snapshot, whatever was skipped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import snmp, { type Provider } from 'net-snmp';
import { MibView } from '../../src/protocol/snmp/mib-view.ts';

const providers: Provider[] = [
  { name: 'label', type: 1, oid: '1.3.6.1.4.1.99999.1', scalarType: snmp.ObjectType.OctetString, maxAccess: snmp.MaxAccess['read-only'] },
  {
    name: 'slots',
    type: 2,
    oid: '1.3.6.1.4.1.99999.2.1',
    maxAccess: snmp.MaxAccess['not-accessible'],
    tableColumns: [
      { number: 1, name: 'slotIndex', type: snmp.ObjectType.Integer, maxAccess: snmp.MaxAccess['not-accessible'] },
      { number: 2, name: 'slotState', type: snmp.ObjectType.Integer, maxAccess: snmp.MaxAccess['read-only'] },
    ],
    tableIndex: [{ columnName: 'slotIndex' }],
  },
];

function freshView() {
  const mib = snmp.createMib();
  return { mib, view: new MibView(mib, providers) };
}

/** The table's rows as [index, state] pairs. */
function states(mib: ReturnType<typeof snmp.createMib>): Array<[number, number]> {
  const [indexes, values] = mib.getTableColumnCells('slots', 2, true) as [number[][], number[]];
  return indexes.map((index, i) => [index[0]!, values[i]!]);
}

test('a scalar set again to another value, or the same Buffer refilled, is what the Mib holds', () => {
  const { mib, view } = freshView();
  view.setScalar('label', 'first');
  view.setScalar('label', 'first');
  view.setScalar('label', 'second');
  assert.equal(mib.getScalarValue('label'), 'second');
  const buffer = Buffer.from('ab');
  view.setScalar('label', buffer);
  buffer.write('cd');
  view.setScalar('label', buffer);
  assert.equal(String(mib.getScalarValue('label')), 'cd');
});

test('rows follow every snapshot: a changed cell, a row gone, the same row back', () => {
  const { mib, view } = freshView();
  view.replaceRows('slots', [
    [1, 10],
    [2, 20],
  ]);
  view.replaceRows('slots', [
    [1, 10],
    [2, 21],
  ]);
  assert.deepEqual(states(mib), [
    [1, 10],
    [2, 21],
  ]);
  view.replaceRows('slots', [[1, 10]]);
  assert.deepEqual(states(mib), [[1, 10]]);
  view.replaceRows('slots', [
    [1, 10],
    [2, 21],
  ]);
  assert.deepEqual(states(mib), [
    [1, 10],
    [2, 21],
  ]);
});
