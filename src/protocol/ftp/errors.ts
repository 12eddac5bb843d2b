// How whatever basic-ftp or the network throws becomes a TransferError a device can report.
import { FTPError } from 'basic-ftp';
import { TransferError, type TransferFailure } from '../transfer-contract.ts';

export type FtpDirection = 'download' | 'upload';

/** FTP reply codes (RFC 959) whose meaning a device can act on; anything else is a protocol error. */
function failureOfReply(code: number, direction: FtpDirection): TransferFailure {
  switch (code) {
    case 421: // service not available, closing control connection
      return 'serverUnreachable';
    case 530: // not logged in
    case 532: // need account for storing files
      return 'accessDenied';
    case 550: // file unavailable: not found on RETR/SIZE, refused on STOR
      return direction === 'download' ? 'fileNotFound' : 'accessDenied';
    case 553: // file name not allowed
      return 'accessDenied';
    case 552: // exceeded storage allocation
      return 'tooLarge';
    default:
      return 'protocolError';
  }
}

const unreachableSocketCodes = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND']);

export function toTransferError(error: unknown, direction: FtpDirection, where: string): TransferError {
  if (error instanceof TransferError) return error;
  if (error instanceof FTPError) {
    return new TransferError(failureOfReply(error.code, direction), `FTP server ${where} answered ${error.code}: ${error.message.trim()}`);
  }
  const message = error instanceof Error ? error.message : String(error);
  const socketCode = (error as { code?: unknown } | null)?.code;
  if (typeof socketCode === 'string' && unreachableSocketCodes.has(socketCode)) {
    return new TransferError('serverUnreachable', `FTP server ${where} unreachable: ${message}`);
  }
  // basic-ftp reports every expired timer (control socket, data connection, stalled transfer) as "Timeout ...".
  if (/\btimeout\b/i.test(message)) {
    return new TransferError('transferTimeout', `FTP ${direction} with ${where} timed out: ${message}`);
  }
  return new TransferError('protocolError', `FTP ${direction} with ${where} failed: ${message}`);
}
