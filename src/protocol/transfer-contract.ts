// What moving a file means, apart from how (src/protocol/transfer.ts picks the client): the target, and
// the ways a transfer fails, in words the device can put in its operation row (SfFailCause labels).

export const transferProtocols = ['tftp', 'ftp'] as const;
export type TransferProtocol = (typeof transferProtocols)[number];

export interface TransferTarget {
  protocol: TransferProtocol;
  /** IPv4 or IPv6 address of the file server. */
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

/** Why a transfer failed: each is also an SfFailCause label (src/protocol/vocabulary.ts checks it). */
export const transferFailures = ['serverUnreachable', 'fileNotFound', 'accessDenied', 'transferTimeout', 'tooLarge', 'protocolError', 'aborted'] as const;
export type TransferFailure = (typeof transferFailures)[number];

export class TransferError extends Error {
  constructor(
    readonly failure: TransferFailure,
    message: string,
  ) {
    super(message);
    this.name = 'TransferError';
  }
}
