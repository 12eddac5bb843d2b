// restoreConfig: fetch a configuration, check it completely (parses, validates, is for this unit, is
// in the format the running software expects), and only then replace the running configuration in
// one atomic write. Anything short of that leaves the running configuration exactly as it was.
import { ConfigError, parseConfig, validateConfig, type DeviceConfig } from '../../protocol/config.ts';
import { OperationFailure, type OperationContext } from './context.ts';
import { downloadFile } from './file-transfer.ts';

export async function restoreConfig(context: OperationContext): Promise<void> {
  const text = await downloadFile(context, { from: 0, to: 70 }, context.maxConfigBytes);
  const config = parse(text, context);
  const problems = validateConfig(config);
  if (problems.length > 0) throw new OperationFailure('configInvalid', `configuration is invalid: ${problems.join('; ')}`);
  if (config.model !== context.model) throw new OperationFailure('configInvalid', `configuration is for model ${config.model}, this unit is ${context.model}`);
  const expected = context.bank(context.state().activeBank).configFormat;
  if (context.faults.takeRejectedConfigFormat()) {
    throw new OperationFailure('configFormatMismatch', `injected fault: configuration format ${config.format} refused`);
  }
  if (config.format !== expected) {
    throw new OperationFailure('configFormatMismatch', `configuration is format ${config.format}; the running software expects format ${expected}`);
  }
  context.step(80);
  try {
    await context.writeConfig(config);
  } catch (error) {
    context.checkPower();
    throw new OperationFailure('writeFailed', `cannot write the configuration: ${(error as Error).message}`);
  }
}

function parse(text: Buffer, context: OperationContext): DeviceConfig {
  try {
    return context.configText ? context.configText.parse(text) : parseConfig(text);
  } catch (error) {
    if (error instanceof ConfigError) throw new OperationFailure('configInvalid', `configuration does not parse: ${error.message}`);
    throw error;
  }
}
