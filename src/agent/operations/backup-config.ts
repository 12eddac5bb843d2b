// backupConfig: upload the running configuration, in its canonical text with its format header (or in
// the device's own text, for a device that shows its configuration its vendor's way).
import type { OperationContext } from './context.ts';
import { uploadFile } from './file-transfer.ts';

export async function backupConfig(context: OperationContext): Promise<void> {
  const running = context.running();
  await uploadFile(context, { from: 0, to: 100 }, context.configText ? context.configText.render(running.config, new Date()) : running.text);
}
