// IF-MIB's interfaces table both ways: the rows an agent serves decode into the same ports; states the
// MIB does not define, and rows missing a column, do not pass as ports that are up.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePorts, interfaceColumns, interfaceRow, interfacesProvider, type Port } from '../../src/protocol/snmp/interfaces-group.ts';
import { ObjectType, type Varbind } from '../../src/protocol/snmp/varbind.ts';

const ports: Port[] = [
  { ifIndex: 1, name: 'wan0', admin: 'up', oper: 'up' },
  { ifIndex: 2, name: 'lan1', admin: 'up', oper: 'down' },
  { ifIndex: 10, name: 'pots1', admin: 'down', oper: 'lowerLayerDown' },
];

/** The three walks a manager makes, from the rows an agent serves (columns in provider order). */
function walks(rows: Port[]): [Varbind[], Varbind[], Varbind[]] {
  const columnAt = (name: string) => interfacesProvider.tableColumns.findIndex((c) => c.name === name);
  const walk = (name: 'ifDescr' | 'ifAdminStatus' | 'ifOperStatus', type: number) =>
    rows.map((port) => ({ oid: `${interfaceColumns[name].oid}.${port.ifIndex}`, type, value: interfaceRow(port)[columnAt(name)]! }) as Varbind);
  return [walk('ifDescr', ObjectType.OctetString), walk('ifAdminStatus', ObjectType.Integer), walk('ifOperStatus', ObjectType.Integer)];
}

test('ports served as rows read back as the same ports, in ifIndex order', () => {
  const [names, admins, opers] = walks(ports);
  assert.deepEqual(decodePorts([names.reverse(), admins, opers]), ports);
});

test('a state outside the MIB reads as unknown; a port missing a column is left out', () => {
  const [names, admins, opers] = walks(ports);
  opers[0] = { ...opers[0]!, value: 99 };
  assert.deepEqual(decodePorts([names, admins, opers.slice(0, 2)]), [
    { ifIndex: 1, name: 'wan0', admin: 'up', oper: 'unknown' },
    { ifIndex: 2, name: 'lan1', admin: 'up', oper: 'down' },
  ]);
});
