// SAFEFLASH-MIB's net-snmp providers (from the MIB file, via src/protocol/mib.ts), lookups into them, and
// named cells turned into varbinds of the objects' own types.
import type { ProviderColumn, ScalarProvider, TableProvider, VarbindValue } from 'net-snmp';
import { providers as mibProviders, oid } from '../mib.ts';
import type { Varbind } from '../snmp/varbind.ts';

export const sfProviders = mibProviders();

export function scalarProvider(name: string): ScalarProvider {
  const p = sfProviders.find((x) => x.name === name);
  if (p?.type !== 1) throw new Error(`SAFEFLASH-MIB has no scalar ${name}`);
  return p;
}

/** The table provider holding a column, by the column's name. */
export function tableOfColumn(column: string): TableProvider {
  const p = sfProviders.find((x): x is TableProvider => x.type === 2 && x.tableColumns.some((c) => c.name === column));
  if (!p) throw new Error(`SAFEFLASH-MIB has no column ${column}`);
  return p;
}

export function column(name: string): ProviderColumn {
  const c = tableOfColumn(name).tableColumns.find((x) => x.name === name);
  if (!c) throw new Error(`SAFEFLASH-MIB has no column ${name}`);
  return c;
}

/** The provider name of the table (its entry) that holds `column`. */
export function tableName(columnName: string): string {
  return tableOfColumn(columnName).name;
}

/** Orders named cell values as the table's columns, for MibView.replaceRows. */
export function rowInColumnOrder(table: TableProvider, cells: Record<string, VarbindValue>): VarbindValue[] {
  return table.tableColumns.map((c) => {
    const v = cells[c.name];
    if (v === undefined) throw new Error(`no value for ${c.name}`);
    return v;
  });
}

/** The SNMP type of a scalar or column, as the MIB declares it. */
export function objectType(name: string): number {
  const scalar = sfProviders.find((p): p is ScalarProvider => p.type === 1 && p.name === name);
  return scalar ? scalar.scalarType : column(name).type;
}

/** Named cells as varbinds of one instance (0 for scalars, a row's index for columns), in the order given. */
export function varbindsOf(names: readonly string[], cells: Readonly<Record<string, VarbindValue>>, instance: number): Varbind[] {
  return names.map((name) => {
    const value = cells[name];
    if (value === undefined) throw new Error(`no value for ${name}`);
    return { oid: `${oid(name)}.${instance}`, type: objectType(name), value };
  });
}
