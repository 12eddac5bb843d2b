// One door for moving a file between a device and a file server, whatever the protocol.
// The device's operations call download/upload; TFTP and FTP clients sit behind it.
import { tftpGet, tftpPut } from './tftp/client.ts';
import { ftpGet, ftpPut } from './ftp/client.ts';

export const transferProtocols = ['tftp', 'ftp'] as const;
export type TransferProtocol = (typeof transferProtocols)[number];

export interface TransferTarget {
  protocol: TransferProtocol;
  /** IPv4 address of the file server. */
  server: string;
  port: number;
  /** File name as the server knows it (relative to its root). */
  file: string;
  /** FTP only: per-transfer credentials. */
  username?: string;
  password?: string;
  /** The device's own address: every packet of the transfer leaves from it. */
  localAddress?: string;
  /** Called as bytes move; total is known when the peer announced it (tsize, SIZE). */
  onProgress?: (bytes: number, total: number | undefined) => void;
  signal?: AbortSignal;
  /** Upper bound on what a download may bring. */
  maxBytes?: number;
}

/** Why a transfer failed, in words the device can put in its operation row. */
export type TransferFailure =
  | 'serverUnreachable'
  | 'fileNotFound'
  | 'accessDenied'
  | 'transferTimeout'
  | 'tooLarge'
  | 'protocolError'
  | 'aborted';

export class TransferError extends Error {
  constructor(
    readonly failure: TransferFailure,
    message: string,
  ) {
    super(message);
    this.name = 'TransferError';
  }
}

export async function download(target: TransferTarget): Promise<Buffer> {
  return target.protocol === 'tftp' ? tftpGet(target) : ftpGet(target);
}

export async function upload(target: TransferTarget, data: Buffer): Promise<void> {
  return target.protocol === 'tftp' ? tftpPut(target, data) : ftpPut(target, data);
}
