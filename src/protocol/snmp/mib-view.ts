// What an agent serves, kept in net-snmp's Mib: scalar values and whole tables replaced from a snapshot.
// An agent refreshes its view before every request, and most values have not changed since the last
// one; the view remembers what it last wrote and leaves the Mib alone where a value is the same, since
// writing into net-snmp's Mib (OID lookups, tree nodes) is the dearest part of answering a request.
import type { Mib, Provider, TableProvider, VarbindValue } from 'net-snmp';

// Buffers are compared by content and remembered as copies: a caller may fill the same Buffer again.
const sameValue = (a: VarbindValue | undefined, b: VarbindValue | undefined): boolean =>
  Buffer.isBuffer(a) || Buffer.isBuffer(b) ? Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b) : a === b;

const remembered = (value: VarbindValue): VarbindValue => (Buffer.isBuffer(value) ? Buffer.from(value) : value);

const sameRow = (a: VarbindValue[] | undefined, b: VarbindValue[]): boolean =>
  a !== undefined && a.length === b.length && a.every((value, i) => sameValue(value, b[i]));

export class MibView {
  readonly #mib: Mib;
  readonly #tables = new Map<string, TableProvider>();
  /** For each table, the rows now in the Mib (their index values and all values), keyed by their joined index. */
  readonly #rows = new Map<string, Map<string, { index: VarbindValue[]; row: VarbindValue[] }>>();
  /** The value each scalar was last given. */
  readonly #scalars = new Map<string, VarbindValue>();

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
    if (this.#scalars.has(name) && sameValue(this.#scalars.get(name), value)) return;
    this.#mib.setScalarValue(name, value);
    this.#scalars.set(name, remembered(value));
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
    for (const [key, { index }] of present) {
      if (!wanted.has(key)) {
        this.#mib.deleteTableRow(table, index);
        present.delete(key);
      }
    }
    for (const row of rows) {
      const index = indexPositions.map((p) => row[p] ?? null);
      const key = index.join('.');
      if (sameRow(present.get(key)?.row, row)) continue;
      // Adding a row that is already there overwrites its values in place.
      this.#mib.addTableRow(table, row);
      present.set(key, { index, row: row.map(remembered) });
    }
  }
}
