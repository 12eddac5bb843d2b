// Varbinds as Safeflash handles them: net-snmp's shape, with constructors that say the SMI type.
import snmp from 'net-snmp';
import type { Varbind, VarbindValue } from 'net-snmp';

export type { Varbind, VarbindValue };

export const ObjectType = snmp.ObjectType;
export const ErrorStatus = snmp.ErrorStatus;

export function integer(oid: string, value: number): Varbind {
  return { oid, type: snmp.ObjectType.Integer, value };
}

/** Unsigned32 / Gauge32: the same tag on the wire. */
export function unsigned(oid: string, value: number): Varbind {
  return { oid, type: snmp.ObjectType.Gauge, value };
}

export function octets(oid: string, value: Buffer | string): Varbind {
  return { oid, type: snmp.ObjectType.OctetString, value: typeof value === 'string' ? Buffer.from(value, 'utf8') : value };
}

/** True for the exception values a v2c/v3 agent puts in place of a value (noSuchObject, ...). */
export function isException(varbind: Varbind): boolean {
  return varbind.type === snmp.ObjectType.NoSuchObject || varbind.type === snmp.ObjectType.NoSuchInstance || varbind.type === snmp.ObjectType.EndOfMibView;
}

/** The value of an octet-string varbind as a Buffer (net-snmp hands strings or Buffers). */
export function bufferValue(varbind: Varbind): Buffer {
  const v = varbind.value;
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  throw new TypeError(`${varbind.oid} is not an octet string`);
}

export function numberValue(varbind: Varbind): number {
  const v = varbind.value;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new TypeError(`${varbind.oid} is not a number`);
}

/** Does `oid` lie strictly below `prefix` in the tree? */
export function isUnder(oid: string, prefix: string): boolean {
  return oid.startsWith(`${prefix}.`);
}

/** The instance part of an OID below an object: "1.2.3.7" under "1.2.3" is "7". */
export function instanceOf(oid: string, object: string): string | undefined {
  return isUnder(oid, object) ? oid.slice(object.length + 1) : undefined;
}

/** Error status names as RFC 3416 spells them (wrongValue, noCreation, ...). */
export type ErrorStatusName =
  | 'noError'
  | 'tooBig'
  | 'noSuchName'
  | 'badValue'
  | 'readOnly'
  | 'genErr'
  | 'noAccess'
  | 'wrongType'
  | 'wrongLength'
  | 'wrongEncoding'
  | 'wrongValue'
  | 'noCreation'
  | 'inconsistentValue'
  | 'resourceUnavailable'
  | 'commitFailed'
  | 'undoFailed'
  | 'authorizationError'
  | 'notWritable'
  | 'inconsistentName';

const statusNumbers: Record<ErrorStatusName, number> = {
  noError: snmp.ErrorStatus.NoError,
  tooBig: snmp.ErrorStatus.TooBig,
  noSuchName: snmp.ErrorStatus.NoSuchName,
  badValue: snmp.ErrorStatus.BadValue,
  readOnly: snmp.ErrorStatus.ReadOnly,
  genErr: snmp.ErrorStatus.GeneralError,
  noAccess: snmp.ErrorStatus.NoAccess,
  wrongType: snmp.ErrorStatus.WrongType,
  wrongLength: snmp.ErrorStatus.WrongLength,
  wrongEncoding: snmp.ErrorStatus.WrongEncoding,
  wrongValue: snmp.ErrorStatus.WrongValue,
  noCreation: snmp.ErrorStatus.NoCreation,
  inconsistentValue: snmp.ErrorStatus.InconsistentValue,
  resourceUnavailable: snmp.ErrorStatus.ResourceUnavailable,
  commitFailed: snmp.ErrorStatus.CommitFailed,
  undoFailed: snmp.ErrorStatus.UndoFailed,
  authorizationError: snmp.ErrorStatus.AuthorizationError,
  notWritable: snmp.ErrorStatus.NotWritable,
  inconsistentName: snmp.ErrorStatus.InconsistentName,
};

export function errorStatusNumber(name: ErrorStatusName): number {
  return statusNumbers[name];
}

export function errorStatusName(n: number): ErrorStatusName {
  const found = (Object.entries(statusNumbers) as [ErrorStatusName, number][]).find(([, v]) => v === n);
  return found ? found[0] : 'genErr';
}
