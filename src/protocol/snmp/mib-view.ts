// What an agent serves, kept in net-snmp's Mib: scalar values and whole tables replaced from a snapshot.
import type { Mib, Provider, TableProvider, VarbindValue } from 'net-snmp';

export class MibView {
  readonly #mib: Mib;
  readonly #tables = new Map<string, TableProvider>();
  /** For each table, the index values of the rows now in the Mib, keyed by their joined form. */
  readonly #rows = new Map<string, Map<string, VarbindValue[]>>();

  constructor(mib: Mib, providers: Provider[]) {
    this.#mib = mib;
    for (const provider of providers) {
      mib.registerProvider(provider);
      if (provider.type === 2) {
        this.#tables.set(provider.name, provider);
        this.#rows.set(provider.name, new Map());
      }
    }
  }

  setScalar(name: string, value: VarbindValue): void {
    this.#mib.setScalarValue(name, value);
  }

  /** Makes the table hold exactly these rows (values in column order, index columns included). */
  replaceRows(table: string, rows: VarbindValue[][]): void {
    const provider = this.#tables.get(table);
    const present = this.#rows.get(table);
    if (!provider || !present) throw new Error(`no table provider ${table}`);
    const indexPositions = provider.tableIndex.map(({ columnName }) => provider.tableColumns.findIndex((c) => c.name === columnName));
    const wanted = new Map<string, VarbindValue[]>();
    for (const row of rows) {
      const index = indexPositions.map((p) => row[p] ?? null);
      wanted.set(index.join('.'), index);
    }
    for (const [key, index] of present) {
      if (!wanted.has(key)) {
        this.#mib.deleteTableRow(table, index);
        present.delete(key);
      }
    }
    for (const row of rows) {
      // Adding a row that is already there overwrites its values in place.
      this.#mib.addTableRow(table, row);
      const index = indexPositions.map((p) => row[p] ?? null);
      present.set(index.join('.'), index);
    }
  }
}
