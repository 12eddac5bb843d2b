// Vendor tables of operation rows (a configuration copy, a copy into flash, a scheduled reload), kept the
// way their MIBs describe: a row is created with createAndGo in one SET, or createAndWait, more columns,
// then active; it cannot change once active, only be destroyed when it has ended; it is kept a while
// after its end, then aged out. What an active row does is a device operation (or an end of its own,
// for a copy the device need not make or cannot): the one of the row's own index, or, for a face whose
// tables number their rows apart (separateIndices), the row's own index when the device has no
// operation of that number yet and another free one when it has. Rows live in memory: like the
// equipment they stand for, devices forget them when they restart.
import type { Endpoint } from '../../protocol/endpoint.ts';
import type { OperationRequest } from '../../protocol/safeflash-mib/operation-row.ts';
import { startTraps } from '../../protocol/snmp/entity-group.ts';
import type { ObjectFact } from '../../protocol/snmp/object-table.ts';
import type { MibView } from '../../protocol/snmp/mib-view.ts';
import type { Varbind, VarbindValue } from '../../protocol/snmp/varbind.ts';
import type { FailCause, OperationState } from '../../protocol/vocabulary.ts';
import { OperationRejected } from '../types.ts';
import type { ManagedDevice } from './managed-device.ts';
import { checkValue, columnInstance, refuse, type ScalarValue } from './object-set.ts';

/** What an activated row does. */
export type RowWork =
  | { kind: 'operation'; request: OperationRequest }
  | { kind: 'settled'; failed: false }
  | { kind: 'settled'; failed: true; cause: FailCause };

export interface Row {
  table: string;
  index: number;
  /** The device operation it started (its own index unless that number was taken; 0 for none, with separateIndices). */
  operation: number;
  /** What the manager set, by column name. */
  cells: Map<string, ScalarValue>;
  active: boolean;
  settled?: Extract<RowWork, { kind: 'settled' }>;
  createdAt: number;
}

/** A row's state as its table shows it: the state of its operation, or its own end. */
export interface RowProgress {
  state: OperationState;
  /** 'none' unless failed; 'powerLoss' for an operation the device no longer has. */
  cause: FailCause;
  startedAt: Date | undefined;
  finishedAt: Date | undefined;
}

export interface RowTable {
  name: string;
  entry: { name: string; oid: string };
  columns: Readonly<Record<string, ObjectFact>>;
  /** The RowStatus column. */
  statusColumn: string;
  /** Lengths of its text columns, at most (wrongLength beyond). */
  maxLength?: number;
  /** The lowest row index its MIB allows: 1 unless told (some tables count from 0). */
  minIndex?: number;
  /** What the row does once active; refuse() (inconsistentValue) when its cells cannot start. */
  workOf(cells: ReadonlyMap<string, ScalarValue>, position: number): RowWork;
  /** The cells it serves besides those set: its state, times, the index and RowStatus. */
  stateCells(row: Row, progress: RowProgress): Record<string, VarbindValue>;
}

/** A SET's rows, checked: each applies in one step. */
export interface RowPlan {
  starts: boolean;
  apply(): void;
}

const minuteMs = 60_000;

export class RowTables {
  readonly #tables: ReadonlyMap<string, RowTable>;
  readonly #rows = new Map<string, Map<number, Row>>();

  constructor(
    private readonly device: ManagedDevice,
    tables: readonly RowTable[],
    /** How long an ended row is kept; the vendors' MIBs promise five minutes at least. */
    private readonly finishedRowMs = 5 * minuteMs,
    /**
     * Whether each table numbers its rows on its own (as IOS's copy tables do), so that a row's index
     * may already name another table's operation, or one the device still keeps from before.
     */
    private readonly separateIndices = false,
  ) {
    this.#tables = new Map(tables.map((table) => [table.name, table]));
    for (const table of tables) this.#rows.set(table.name, new Map());
  }

  /** The table and row a varbind names, with its checked value; undefined when it names none of these tables. */
  locate(varbind: Varbind, position: number): { table: string; index: number; column: string; value: ScalarValue } | undefined {
    for (const table of this.#tables.values()) {
      const at = columnInstance(table.columns, varbind.oid);
      if (!at) continue;
      if (at.row < (table.minIndex ?? 1) || at.row > 2147483647) refuse('noCreation', position);
      return { table: table.name, index: at.row, column: at.name, value: checkValue(table.columns[at.name]!, varbind, position, table.maxLength ?? 255) };
    }
    return undefined;
  }

  /**
   * A SET's varbinds sorted out: values of the face's own scalars (`scalars`, instance .0), and cells of
   * these tables grouped by row. Anything else is refused: notWritable for an object the face serves
   * read-only (`readOnly`), noCreation otherwise.
   */
  read(
    varbinds: readonly Varbind[],
    scalars: Readonly<Record<string, ObjectFact>>,
    readOnly: (oid: string) => boolean,
  ): { scalars: Map<string, { value: ScalarValue; position: number }>; rows: ReturnType<typeof byRow> } {
    const values = new Map<string, { value: ScalarValue; position: number }>();
    const located: Array<NonNullable<ReturnType<RowTables['locate']>> & { position: number }> = [];
    varbinds.forEach((varbind, position) => {
      const scalar = Object.entries(scalars).find(([, fact]) => varbind.oid === `${fact.oid}.0`);
      if (scalar) {
        if (values.has(scalar[0])) refuse('inconsistentValue', position);
        values.set(scalar[0], { value: checkValue(scalar[1], varbind, position, 256), position });
        return;
      }
      const cell = this.locate(varbind, position);
      if (cell) located.push({ ...cell, position });
      else refuse(readOnly(varbind.oid) ? 'notWritable' : 'noCreation', position);
    });
    return { scalars: values, rows: byRow(located) };
  }

  /** Checks one row's cells of a SET against the row rules; returns how to apply them. */
  plan(tableName: string, index: number, given: ReadonlyMap<string, { value: ScalarValue; position: number }>): RowPlan {
    const table = this.#tables.get(tableName)!;
    const rows = this.#rows.get(tableName)!;
    const existing = rows.get(index);
    const status = given.get(table.statusColumn);
    const action = status ? statusLabels[status.value as number] : undefined;
    const at = (status ?? [...given.values()].sort((a, b) => a.position - b.position)[0]!).position;
    if (action === 'destroy') {
      if (existing?.active && !this.#ended(existing)) refuse('inconsistentValue', at);
      return { starts: false, apply: () => void rows.delete(index) };
    }
    if (existing?.active) refuse(action === 'active' ? 'inconsistentValue' : 'notWritable', at);
    if (!existing && action !== 'createAndGo' && action !== 'createAndWait') refuse(status ? 'inconsistentValue' : 'noCreation', at);
    if (existing && (action === 'createAndGo' || action === 'createAndWait')) refuse('inconsistentValue', at);
    if (action === 'notInService' || action === 'notReady') refuse('wrongValue', at);
    const cells = new Map(existing?.cells);
    for (const [name, cell] of given) if (name !== table.statusColumn) cells.set(name, cell.value);
    const work = action === 'createAndGo' || action === 'active' ? table.workOf(cells, at) : undefined;
    return {
      starts: work?.kind === 'operation',
      apply: () => {
        const row: Row = existing ?? { table: tableName, index, operation: index, cells, active: false, createdAt: Date.now() };
        row.cells = cells;
        if (work?.kind === 'operation') {
          row.operation = this.#operationIndex(row);
          this.start(row.operation, work.request, at);
        } else if (work) {
          row.settled = work;
          // An end of its own: no device operation (they count from 1) is this row's.
          if (this.separateIndices) row.operation = 0;
        }
        row.active = work !== undefined;
        rows.set(index, row);
      },
    };
  }

  /** Orders the device operation; a device that cannot take it refuses the SET (resourceUnavailable when busy). */
  start(index: number, request: OperationRequest, position: number): void {
    try {
      this.device.createOperation(index, request);
    } catch (error) {
      if (error instanceof OperationRejected)
        refuse(error.reason === 'busy' ? 'resourceUnavailable' : error.reason === 'invalid' ? 'wrongValue' : 'inconsistentValue', position);
      throw error;
    }
  }

  /** Whether the device operation of this index (a reload the face ordered, say) is still under way. */
  underWay(index: number | undefined): boolean {
    const op = index === undefined ? undefined : this.device.operation(index);
    return op !== undefined && (op.state === 'waiting' || op.state === 'running');
  }

  /** The active row whose device operation has this index (notifications name the operation's index). */
  row(index: number): Row | undefined {
    for (const rows of this.#rows.values()) {
      for (const row of rows.values()) if (row.active && row.operation === index) return row;
    }
    return undefined;
  }

  progress(row: Row): RowProgress {
    const op = this.device.operation(row.operation);
    if (!row.active) return { state: 'waiting', cause: 'none', startedAt: undefined, finishedAt: undefined };
    if (row.settled) {
      const at = new Date(row.createdAt);
      return { state: row.settled.failed ? 'failed' : 'successful', cause: row.settled.failed ? row.settled.cause : 'none', startedAt: at, finishedAt: at };
    }
    if (!op) return { state: 'failed', cause: 'powerLoss', startedAt: undefined, finishedAt: undefined };
    return { state: op.state, cause: op.state === 'failed' ? op.failCause : 'none', startedAt: op.startedAt, finishedAt: op.finishedAt };
  }

  /** A row's every cell, in its table's column order. */
  cells(row: Row): VarbindValue[] {
    const table = this.#tables.get(row.table)!;
    const served: Record<string, VarbindValue> = { ...Object.fromEntries(row.cells), ...table.stateCells(row, this.progress(row)) };
    return Object.entries(table.columns).map(([name, fact]) => served[name] ?? defaultCell(fact));
  }

  /** Ages ended rows out, then puts every table's rows into the view. */
  refresh(view: MibView): void {
    for (const [name, rows] of this.#rows) {
      for (const [index, row] of rows) {
        const finishedAt = row.active ? this.progress(row).finishedAt?.getTime() : undefined;
        if (finishedAt !== undefined && Date.now() - finishedAt > this.finishedRowMs) rows.delete(index);
      }
      view.replaceRows(
        this.#tables.get(name)!.entry.name,
        [...rows.values()].map((row) => this.cells(row)),
      );
    }
  }

  /** The device operation index for a row about to start: its own, unless that number is taken. */
  #operationIndex(row: Row): number {
    if (!this.separateIndices) return row.index;
    const taken = new Set(this.device.operations().map((op) => op.index));
    for (const rows of this.#rows.values()) for (const other of rows.values()) if (other !== row && other.active) taken.add(other.operation);
    if (row.index >= 1 && !taken.has(row.index)) return row.index;
    let free = Math.max(0, ...taken) + 1;
    if (free > 2147483647) for (free = 1; taken.has(free); free++);
    return free;
  }

  #ended(row: Row): boolean {
    const { state } = this.progress(row);
    return state === 'successful' || state === 'failed';
  }
}

/** What a row that moves a file does: the device operation, with the server and the credentials the row names. */
export function transferWork(
  type: OperationRequest['type'],
  protocol: 'tftp' | 'ftp',
  server: Endpoint,
  fileName: string,
  cells: ReadonlyMap<string, ScalarValue>,
  credentials: { user: string; password: string },
): RowWork {
  const text = (name: string) => (cells.get(name) as Buffer | undefined)?.toString('utf8') ?? '';
  return {
    kind: 'operation',
    request: { type, protocol, server, fileName, username: text(credentials.user), password: text(credentials.password), notifyTarget: undefined },
  };
}

/** A reboot or a revert, as a face orders it when its reload objects are set. */
export function bootRequest(type: 'reboot' | 'revertSoftware'): OperationRequest {
  return { type, protocol: 'tftp', server: undefined, fileName: '', username: '', password: '', notifyTarget: undefined };
}

/** RowStatus (SNMPv2-TC, RFC 2579), by number. */
const statusLabels: Record<number, string> = { 1: 'active', 2: 'notInService', 3: 'notReady', 4: 'createAndGo', 5: 'createAndWait', 6: 'destroy' };

/** RowStatus's numbers, for the cells a row serves. */
export const rowStatusNumber = { active: 1, notInService: 2 } as const;

/** Groups a SET's located cells by row. */
export function byRow(
  located: ReadonlyArray<{ table: string; index: number; column: string; value: ScalarValue; position: number }>,
): Map<string, { table: string; index: number; cells: Map<string, { value: ScalarValue; position: number }> }> {
  const rows = new Map<string, { table: string; index: number; cells: Map<string, { value: ScalarValue; position: number }> }>();
  for (const cell of located) {
    const key = `${cell.table}.${cell.index}`;
    const row = rows.get(key) ?? { table: cell.table, index: cell.index, cells: new Map() };
    if (row.cells.has(cell.column)) refuse('inconsistentValue', cell.position);
    row.cells.set(cell.column, { value: cell.value, position: cell.position });
    rows.set(key, row);
  }
  return rows;
}

/**
 * A column's value before anything set it: the MIB's default, else the type's zero or the
 * enumeration's first value (a row cannot leave a cell out).
 */
function defaultCell(fact: ObjectFact): VarbindValue {
  if (fact.syntax === 'OctetString') return Buffer.alloc(0);
  if (fact.syntax === 'IpAddress') return '0.0.0.0';
  if (!fact.values) return 0;
  for (const preferred of ['tftp', 'false', 'ipv4']) if (preferred in fact.values) return fact.values[preferred]!;
  return Object.values(fact.values)[0]!;
}

/** The sysUpTime (centiseconds) of an instant, for a device that booted at `bootTime`. */
export function upTimeAt(bootTime: Date, at: Date | undefined): number {
  return at ? Math.max(0, Math.floor((at.getTime() - bootTime.getTime()) / 10)) : 0;
}

/** The start trap of a device that booted: cold after a power-on, warm after a reload (SNMPv2-MIB). */
export function startTrap(status: { lastBootCause: string }): { name: string; oid: string; varbinds: [] } {
  const name = status.lastBootCause === 'powerOn' ? 'coldStart' : 'warmStart';
  return { name, oid: startTraps[name].oid, varbinds: [] };
}
