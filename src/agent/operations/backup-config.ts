// backupConfig: upload the running configuration, in its canonical text with its format header.
import type { OperationContext } from './context.ts';
import { uploadFile } from './file-transfer.ts';

export async function backupConfig(context: OperationContext): Promise<void> {
  await uploadFile(context, { from: 0, to: 100 }, context.running().text);
}
