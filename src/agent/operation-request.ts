// What makes an operation request acceptable. A request that fails here is refused by the SET and
// changes nothing on the device.
import { isLoopbackAddress } from './loopback-addresses.ts';
import type { Endpoint } from '../protocol/endpoint.ts';
import type { OperationRequest } from '../protocol/safeflash-mib/operation-row.ts';
import { isOneOf, operationTypes, type OperationType } from '../protocol/vocabulary.ts';
import { transferProtocols } from '../protocol/transfer-contract.ts';
import { hasControlCharacter } from '../common/text.ts';

export const maxOperationIndex = 2_147_483_647;
const transferTypes: ReadonlySet<OperationType> = new Set(['backupConfig', 'downloadSoftware', 'stageSoftware', 'restoreConfig', 'convertConfig']);

export function movesAFile(type: OperationType): boolean {
  return transferTypes.has(type);
}

/** Every reason the request cannot be run; empty when it can. */
export function requestProblems(index: number, request: OperationRequest): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(index) || index < 1 || index > maxOperationIndex) problems.push(`index must be from 1 to ${maxOperationIndex}, got ${index}`);
  if (!isOneOf(operationTypes, request.type)) problems.push(`unknown operation type ${JSON.stringify(request.type)}`);
  if (!isOneOf(transferProtocols, request.protocol)) problems.push(`protocol must be tftp or ftp, got ${JSON.stringify(request.protocol)}`);
  if (movesAFile(request.type)) {
    if (request.server === undefined) problems.push(`${request.type} needs a file server`);
    else problems.push(...endpointProblems('server', request.server));
    problems.push(...fileNameProblems(request.fileName));
  }
  if (request.username.length > 64) problems.push('user name is longer than 64 characters');
  if (Buffer.byteLength(request.password) > 64) problems.push('password is longer than 64 bytes');
  if (request.notifyTarget !== undefined) problems.push(...endpointProblems('notify target', request.notifyTarget));
  return problems;
}

export function endpointProblems(what: string, endpoint: Endpoint): string[] {
  const problems: string[] = [];
  // A virtual device lives on a loopback address and never sends anywhere else.
  if (!isLoopbackAddress(endpoint.address)) {
    problems.push(`${what} address must be a loopback address (127.0.0.0/8 or ::1), got ${JSON.stringify(endpoint.address)}`);
  }
  if (!Number.isInteger(endpoint.port) || endpoint.port < 0 || endpoint.port > 65535)
    problems.push(`${what} port must be from 0 to 65535, got ${endpoint.port}`);
  return problems;
}

/** File names are issued by the manager's file service: relative, printable, without ".." steps. */
function fileNameProblems(name: string): string[] {
  if (name.length === 0) return ['file name is empty'];
  if (name.length > 255) return ['file name is longer than 255 characters'];
  if (hasControlCharacter(name, { c1: true }) || name.includes('\\')) return ['file name holds control characters or backslashes'];
  if (name.startsWith('/')) return ['file name must be relative to the server root'];
  if (name.split('/').some((part) => part === '..' || part === '.' || part === '')) return ['file name has empty, "." or ".." path steps'];
  if (name !== name.trim()) return ['file name has leading or trailing spaces'];
  return [];
}

export function sameRequest(a: OperationRequest, b: OperationRequest): boolean {
  return (
    a.type === b.type &&
    a.protocol === b.protocol &&
    sameEndpoint(a.server, b.server) &&
    a.fileName === b.fileName &&
    a.username === b.username &&
    a.password === b.password &&
    sameEndpoint(a.notifyTarget, b.notifyTarget)
  );
}

function sameEndpoint(a: Endpoint | undefined, b: Endpoint | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.address === b.address && a.port === b.port);
}
