// The first half of any SET against the objects a personality serves from an object table: find each
// varbind's object (a scalar, or a table column and row), check access, type and enumeration, and hand
// back the values by name. Nothing is applied here; a refusal names the varbind (0-based) and the error
// status, as a SET answers it.
import type { SetResult } from '../../protocol/snmp/agent.ts';
import { type ObjectFact, syntaxNumber } from '../../protocol/snmp/object-table.ts';
import type { Varbind } from '../../protocol/snmp/varbind.ts';

export type SetRefusal = Exclude<SetResult, { status: 'noError' }>;
export type ScalarValue = number | string | Buffer;

export class Refused extends Error {
  constructor(readonly refusal: SetRefusal) {
    super(refusal.status);
  }
}

export function refuse(status: SetRefusal['status'], index: number): never {
  throw new Refused({ status, index });
}

/** Runs a SET's plan; a Refused thrown inside becomes the SET's answer. */
export function answerSet(plan: () => void): SetResult {
  try {
    plan();
    return { status: 'noError' };
  } catch (error) {
    if (error instanceof Refused) return error.refusal;
    throw error;
  }
}

/**
 * The values of a SET by object name, each with its position; throws Refused (noCreation for what is
 * not an instance the table serves, notWritable, wrongType, wrongValue, inconsistentValue for an object
 * named twice). `maxLength`: octet strings longer than this are wrongLength.
 */
export function scalarValues<Name extends string>(
  objects: Readonly<Record<Name, ObjectFact>>,
  varbinds: readonly Varbind[],
  maxLength: Partial<Record<Name, number>> = {},
): Map<Name, { value: ScalarValue; position: number }> {
  const byInstance = new Map(Object.entries<ObjectFact>(objects).map(([name, fact]) => [`${fact.oid}.0`, name as Name]));
  const values = new Map<Name, { value: ScalarValue; position: number }>();
  varbinds.forEach((varbind, position) => {
    const name = byInstance.get(varbind.oid);
    if (name === undefined) refuse('noCreation', position);
    const value = checkValue(objects[name], varbind, position, maxLength[name]);
    if (values.has(name)) refuse('inconsistentValue', position);
    values.set(name, { value, position });
  });
  return values;
}

/** A varbind's value once it fits its object: writable, of the object's type, in its enumeration. */
export function checkValue(fact: ObjectFact, varbind: Varbind, position: number, maxLength = 65535): ScalarValue {
  if (fact.access !== 'read-write' && fact.access !== 'read-create') refuse('notWritable', position);
  if (varbind.type !== syntaxNumber(fact.syntax)) refuse('wrongType', position);
  const value = varbind.value;
  if (fact.syntax === 'OctetString') {
    if (!Buffer.isBuffer(value)) refuse('wrongType', position);
    if (value.length > maxLength) refuse('wrongLength', position);
  } else if (fact.syntax === 'IpAddress') {
    if (typeof value !== 'string') refuse('wrongType', position);
  } else if (typeof value !== 'number' || !Number.isInteger(value)) {
    refuse('wrongType', position);
  } else if (fact.values && !Object.values(fact.values).includes(value)) {
    refuse('wrongValue', position);
  }
  return value as ScalarValue;
}

/** Which column of a table, and which row (a single integer index), an OID names; undefined when none. */
export function columnInstance<Name extends string>(columns: Readonly<Record<Name, ObjectFact>>, oid: string): { name: Name; row: number } | undefined {
  for (const [name, fact] of Object.entries<ObjectFact>(columns)) {
    if (!oid.startsWith(`${fact.oid}.`)) continue;
    const rest = oid.slice(fact.oid.length + 1);
    if (!/^\d+$/.test(rest)) return undefined;
    return { name: name as Name, row: Number(rest) };
  }
  return undefined;
}
