// Placeholder: the TFTP client is being written (see src/protocol/transfer.ts for the contract).
import { TransferError, type TransferTarget } from '../transfer.ts';
export async function tftpGet(_target: TransferTarget): Promise<Buffer> {
  throw new TransferError('protocolError', 'TFTP client not implemented yet');
}
export async function tftpPut(_target: TransferTarget, _data: Buffer): Promise<void> {
  throw new TransferError('protocolError', 'TFTP client not implemented yet');
}
