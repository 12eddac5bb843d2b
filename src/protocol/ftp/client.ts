// Placeholder: the FTP client is being written (see src/protocol/transfer.ts for the contract).
import { TransferError, type TransferTarget } from '../transfer.ts';
export async function ftpGet(_target: TransferTarget): Promise<Buffer> {
  throw new TransferError('protocolError', 'FTP client not implemented yet');
}
export async function ftpPut(_target: TransferTarget, _data: Buffer): Promise<void> {
  throw new TransferError('protocolError', 'FTP client not implemented yet');
}
