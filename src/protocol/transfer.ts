// One door for moving a file between a device and a file server, whatever the protocol.
// The device's operations call download/upload; TFTP and FTP clients sit behind it.
import { ftpGet, ftpPut } from './ftp/client.ts';
import { tftpGet, tftpPut } from './tftp/client.ts';
import type { TransferTarget } from './transfer-contract.ts';

export { releaseDownload } from './tftp/download-buffers.ts';

export async function download(target: TransferTarget): Promise<Buffer> {
  return target.protocol === 'tftp' ? tftpGet(target) : ftpGet(target);
}

export async function upload(target: TransferTarget, data: Buffer): Promise<void> {
  return target.protocol === 'tftp' ? tftpPut(target, data) : ftpPut(target, data);
}
