// The operation order that has a device move the file of an offer.
import type { OperationType } from '../../../protocol/vocabulary.ts';
import type { OperationOrder } from '../../../protocol/safeflash-mib/operation-row.ts';
import type { FileOffer } from '../procedure-deps.ts';

export function transferOrder(type: OperationType, offer: FileOffer): OperationOrder {
  return {
    type,
    protocol: offer.protocol,
    server: offer.server,
    fileName: offer.fileName,
    ...(offer.username !== undefined ? { username: offer.username } : {}),
    ...(offer.password !== undefined ? { password: offer.password } : {}),
  };
}
