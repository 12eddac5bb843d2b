// SAFEFLASH-MIB's net-snmp providers (from the MIB file, via src/protocol/mib.ts) and lookups into them.
import type { ProviderColumn, ScalarProvider, TableProvider, VarbindValue } from 'net-snmp';
import { providers as mibProviders } from '../../protocol/mib.ts';

export const sfProviders = mibProviders();

export function scalarProvider(name: string): ScalarProvider {
  const p = sfProviders.find((x) => x.name === name);
  if (!p || p.type !== 1) throw new Error(`SAFEFLASH-MIB has no scalar ${name}`);
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
