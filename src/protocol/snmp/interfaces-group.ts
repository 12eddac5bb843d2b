// IF-MIB's interfaces table (RFC 2863), which routers, IADs and modems alike serve: which ports a device
// has and whether each is up. Every agent personality serves it; the manager reads it before and after
// an upgrade, to see that what was up is still up.
import { type Labels, labelsOf, type ObjectFact, tableProviderOf } from './object-table.ts';
import { bufferValue, instanceOf, numberValue, type Varbind, type VarbindValue } from './varbind.ts';

const source = 'IF-MIB (RFC 2863, 2000-06-14)';

export const ifEntry = { name: 'ifEntry', oid: '1.3.6.1.2.1.2.2.1' } as const;

export const interfaceColumns = {
  ifIndex: { oid: '1.3.6.1.2.1.2.2.1.1', syntax: 'Integer', access: 'read-only', source },
  ifDescr: { oid: '1.3.6.1.2.1.2.2.1.2', syntax: 'OctetString', access: 'read-only', source },
  ifAdminStatus: { oid: '1.3.6.1.2.1.2.2.1.7', syntax: 'Integer', access: 'read-only', values: { up: 1, down: 2, testing: 3 }, source },
  ifOperStatus: {
    oid: '1.3.6.1.2.1.2.2.1.8',
    syntax: 'Integer',
    access: 'read-only',
    values: { up: 1, down: 2, testing: 3, unknown: 4, dormant: 5, notPresent: 6, lowerLayerDown: 7 },
    source,
  },
} as const satisfies Record<string, ObjectFact>;

const adminStatus = labelsOf('ifAdminStatus', interfaceColumns.ifAdminStatus);
const operStatus = labelsOf('ifOperStatus', interfaceColumns.ifOperStatus);
export type AdminStatus = typeof adminStatus extends Labels<infer L> ? L : never;
export type OperStatus = typeof operStatus extends Labels<infer L> ? L : never;

/** One port (interface) of a device, as IF-MIB shows it. */
export interface Port {
  ifIndex: number;
  name: string;
  admin: AdminStatus;
  oper: OperStatus;
}

/** The agent's provider of the table (ifAdminStatus read-only: nobody shuts a port through us). */
export const interfacesProvider = tableProviderOf(ifEntry, interfaceColumns, ['ifIndex']);

/** A port as a row of the table, values in column order. */
export function interfaceRow(port: Port): VarbindValue[] {
  return [port.ifIndex, Buffer.from(port.name), adminStatus.number(port.admin), operStatus.number(port.oper)];
}

/** The OIDs a manager walks to read the ports: names, then administrative and operational states. */
export const portColumns = [interfaceColumns.ifDescr.oid, interfaceColumns.ifAdminStatus.oid, interfaceColumns.ifOperStatus.oid] as const;

/**
 * The ports from the walks of portColumns (in that order), by ifIndex. A state the MIB does not define
 * reads as unknown; a port missing from a column is left out.
 */
export function decodePorts([names, admins, opers]: readonly [Varbind[], Varbind[], Varbind[]]): Port[] {
  const byIndex = (varbinds: Varbind[], column: string) =>
    new Map(
      varbinds.flatMap((v) => {
        const index = instanceOf(v.oid, column);
        return index !== undefined && /^\d+$/.test(index) ? [[Number(index), v] as const] : [];
      }),
    );
  const admin = byIndex(admins, interfaceColumns.ifAdminStatus.oid);
  const oper = byIndex(opers, interfaceColumns.ifOperStatus.oid);
  const ports: Port[] = [];
  for (const [ifIndex, name] of byIndex(names, interfaceColumns.ifDescr.oid)) {
    const a = admin.get(ifIndex);
    const o = oper.get(ifIndex);
    if (!a || !o) continue;
    ports.push({
      ifIndex,
      name: bufferValue(name).toString('utf8'),
      admin: adminStatus.label(numberValue(a)) ?? 'testing',
      oper: operStatus.label(numberValue(o)) ?? 'unknown',
    });
  }
  return ports.sort((x, y) => x.ifIndex - y.ifIndex);
}
