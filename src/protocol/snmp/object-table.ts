// A family's MIB objects as one table of facts (name, OID, type, access, enumeration, and where each
// came from), from which both sides take their numbers: the driver its OIDs and labels, the agent
// personality its net-snmp providers. Vendor MIB files are not shipped; their facts are written here.
import snmp from 'net-snmp';
import type { Provider, ScalarProvider, TableProvider } from 'net-snmp';

export type SyntaxName = 'Integer' | 'OctetString' | 'OID' | 'IpAddress' | 'Counter' | 'Gauge' | 'TimeTicks';
export type Access = 'not-accessible' | 'accessible-for-notify' | 'read-only' | 'read-write' | 'read-create';

export interface ObjectFact {
  /** Dotted, without a leading dot: the object itself (a scalar's instance is this plus `.0`). */
  oid: string;
  syntax: SyntaxName;
  access: Access;
  /** An INTEGER enumeration: label to number, in the MIB's order. */
  values?: Readonly<Record<string, number>>;
  /** The MIB module (and revision) the fact was read from. */
  source: string;
}

/** A named enumeration read off an object fact: label to number and back. */
export class Labels<L extends string> {
  readonly #byNumber: Map<number, L>;
  constructor(
    readonly name: string,
    private readonly values: Readonly<Record<L, number>>,
  ) {
    this.#byNumber = new Map(Object.entries<number>(values).map(([label, n]) => [n, label as L]));
  }

  number(label: L): number {
    return this.values[label];
  }

  /** Undefined for a number the MIB does not define (bad input). */
  label(n: number): L | undefined {
    return this.#byNumber.get(n);
  }
}

export function labelsOf<const V extends Readonly<Record<string, number>>>(name: string, fact: { values?: V }): Labels<Extract<keyof V, string>> {
  if (!fact.values) throw new Error(`${name} is not an enumeration`);
  return new Labels(name, fact.values as Readonly<Record<Extract<keyof V, string>, number>>);
}

const syntaxNumbers: Record<SyntaxName, number> = {
  Integer: snmp.ObjectType.Integer,
  OctetString: snmp.ObjectType.OctetString,
  OID: snmp.ObjectType.OID,
  IpAddress: snmp.ObjectType.IpAddress,
  Counter: snmp.ObjectType.Counter,
  Gauge: snmp.ObjectType.Gauge,
  TimeTicks: snmp.ObjectType.TimeTicks,
};

export function syntaxNumber(syntax: SyntaxName): number {
  return syntaxNumbers[syntax];
}

function constraints(fact: ObjectFact) {
  return fact.values ? { constraints: { enumeration: Object.fromEntries(Object.entries(fact.values).map(([label, n]) => [String(n), label])) } } : {};
}

/** A scalar's net-snmp provider. */
export function scalarProviderOf(name: string, fact: ObjectFact): ScalarProvider {
  return {
    name,
    type: snmp.MibProviderType.Scalar,
    oid: fact.oid,
    scalarType: syntaxNumber(fact.syntax),
    maxAccess: snmp.MaxAccess[fact.access],
    ...constraints(fact),
  };
}

/**
 * A table's net-snmp provider: `entry` is the conceptual row (its OID is the table's plus `.1`); each
 * column's number is the last arc of its OID under the entry.
 */
export function tableProviderOf(entry: { name: string; oid: string }, columns: Record<string, ObjectFact>, index: readonly string[]): TableProvider {
  const tableColumns = Object.entries(columns).map(([name, fact]) => {
    if (!fact.oid.startsWith(`${entry.oid}.`) || fact.oid.split('.').length !== entry.oid.split('.').length + 1) {
      throw new Error(`${name} (${fact.oid}) is not a column of ${entry.name} (${entry.oid})`);
    }
    return { number: Number(fact.oid.split('.').at(-1)), name, type: syntaxNumber(fact.syntax), maxAccess: snmp.MaxAccess[fact.access], ...constraints(fact) };
  });
  return {
    name: entry.name,
    type: snmp.MibProviderType.Table,
    oid: entry.oid,
    maxAccess: snmp.MaxAccess['not-accessible'],
    tableColumns,
    tableIndex: index.map((columnName) => ({ columnName })),
  };
}

export type { Provider };
