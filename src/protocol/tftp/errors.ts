// How a TFTP ERROR packet from the peer becomes a TransferError a device or operator can act on.
import { TransferError, type TransferFailure } from '../transfer-contract.ts';
import { TftpErrorCode } from './packet.ts';

const meaningOfCode: Record<number, { failure: TransferFailure; meaning: string }> = {
  [TftpErrorCode.notDefined]: { failure: 'protocolError', meaning: 'error not defined by the protocol' },
  [TftpErrorCode.fileNotFound]: { failure: 'fileNotFound', meaning: 'file not found' },
  [TftpErrorCode.accessViolation]: { failure: 'accessDenied', meaning: 'access violation' },
  [TftpErrorCode.diskFull]: { failure: 'tooLarge', meaning: 'disk full or allocation exceeded' },
  [TftpErrorCode.illegalOperation]: { failure: 'protocolError', meaning: 'illegal TFTP operation' },
  [TftpErrorCode.unknownTransferId]: { failure: 'protocolError', meaning: 'unknown transfer ID' },
  [TftpErrorCode.fileExists]: { failure: 'accessDenied', meaning: 'file already exists' },
  [TftpErrorCode.noSuchUser]: { failure: 'accessDenied', meaning: 'no such user' },
  [TftpErrorCode.optionRefused]: { failure: 'protocolError', meaning: 'option negotiation refused' },
};

/** The standard wording of a code, used as the message of the ERROR packets we send. */
export function describeTftpErrorCode(code: number): string {
  return meaningOfCode[code]?.meaning ?? `unknown error code ${code}`;
}

/** A TransferError for an ERROR packet received from `peer` ("address:port"). */
export function errorFromPeer(peer: string, code: number, message: string): TransferError {
  const known = meaningOfCode[code];
  const failure = known?.failure ?? 'protocolError';
  const said = message.trim() === '' ? '' : `: ${message.trim()}`;
  return new TransferError(failure, `TFTP peer ${peer} answered error ${code} (${describeTftpErrorCode(code)})${said}`);
}

/**
 * A failure we detected ourselves, together with the code to tell the peer. Not a subclass of
 * TransferError: transfer.ts imports this module's users, and a class cannot extend one from a
 * module still loading. toTransferError turns it into the contract's error at the boundary.
 */
export class TftpFailure extends Error {
  override name = 'TftpFailure';
  constructor(
    readonly failure: TransferFailure,
    message: string,
    /** The ERROR code to send to the peer; undefined when the peer must not be told (it already knows). */
    readonly peerCode: number | undefined,
  ) {
    super(message);
  }
}

export function toTransferError(error: unknown): TransferError {
  if (error instanceof TransferError) return error;
  if (error instanceof TftpFailure) return new TransferError(error.failure, error.message);
  return new TransferError('protocolError', error instanceof Error ? error.message : String(error));
}
