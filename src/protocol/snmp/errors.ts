// How an SNMP request can fail, in terms a caller can act on.
import snmp from 'net-snmp';
import { errorStatusName, type ErrorStatusName } from './varbind.ts';

export type SnmpFailure = 'timeout' | 'errorStatus' | 'authentication' | 'invalidResponse' | 'socket';

export class SnmpError extends Error {
  constructor(
    readonly failure: SnmpFailure,
    message: string,
    /** For errorStatus: the status the agent answered (wrongValue, noCreation, ...). */
    readonly status?: ErrorStatusName,
  ) {
    super(message);
    this.name = 'SnmpError';
  }
}

/** Turns whatever net-snmp hands a callback into an SnmpError. */
export function toSnmpError(error: Error): SnmpError {
  if (error instanceof SnmpError) return error;
  if (error instanceof snmp.RequestTimedOutError) return new SnmpError('timeout', 'no answer (timed out)');
  if (error instanceof snmp.RequestFailedError) {
    const status = errorStatusName(error.status);
    return new SnmpError('errorStatus', `${status}: ${error.message}`, status);
  }
  if (error instanceof snmp.ResponseInvalidError) {
    // net-snmp reports USM failures (unknown user, wrong digest, ...) as invalid responses with EAuthFailure.
    const authentication = /usmStats|auth|Unknown|Wrong|Decryption/i.test(error.message);
    return new SnmpError(authentication ? 'authentication' : 'invalidResponse', error.message);
  }
  return new SnmpError('socket', error.message);
}
