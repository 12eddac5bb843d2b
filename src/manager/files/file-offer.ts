// What the manager hands a device so it can move one file: the server, the name, and for FTP the
// credentials. It is a durable step's output, so it stays plain JSON.
import type { Endpoint } from '../../protocol/endpoint.ts';
import type { TransferProtocol } from '../../protocol/transfer-contract.ts';

export interface FileOffer {
  protocol: TransferProtocol;
  server: Endpoint;
  /** Single-use and unguessable; relative to the server's root. */
  fileName: string;
  /** FTP only: credentials good for this one file, once. */
  username?: string;
  password?: string;
}

/** read: the device downloads a file the manager holds; write: the device uploads (a backup). */
export type OfferDirection = 'read' | 'write';

/**
 * open: issued, not used yet; used: a read was served or an upload arrived; expired: not used in
 * time; collected: the upload became a backup; rejected: the upload was not a usable backup.
 */
export type OfferState = 'open' | 'used' | 'expired' | 'collected' | 'rejected';

/**
 * What a read offer serves, from the content store: a signed image (the reference IAD's software), a
 * configuration, or the vendor's file a manifest image wraps (served unchanged to other families).
 */
export type OfferedContent = 'image' | 'config' | 'vendorFile';
