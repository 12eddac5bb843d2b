// restoreConfig: fetch a configuration, check it completely (parses, validates, is for this unit, is
// in the format the running software expects), and only then replace the running configuration in
// one atomic write. Anything short of that leaves the running configuration exactly as it was.
// convertConfig does the same with a configuration of another format, converting it first with the
// device's own converter (the reference format steps).
import { ConfigError, parseConfig, validateConfig, type DeviceConfig } from '../../protocol/config.ts';
import { MigrationError, migrateConfig } from '../../protocol/config/migrations/registry.ts';
import { OperationFailure, type OperationContext } from './context.ts';
import { downloadFile } from './file-transfer.ts';

export async function restoreConfig(context: OperationContext): Promise<void> {
  await apply(context, false);
}

export async function convertConfig(context: OperationContext): Promise<void> {
  await apply(context, true);
}

async function apply(context: OperationContext, convert: boolean): Promise<void> {
  const text = await downloadFile(context, { from: 0, to: 70 }, context.maxConfigBytes);
  let config = parse(text, context);
  const problems = validateConfig(config);
  if (problems.length > 0) throw new OperationFailure('configInvalid', `configuration is invalid: ${problems.join('; ')}`);
  if (config.model !== context.model) throw new OperationFailure('configInvalid', `configuration is for model ${config.model}, this unit is ${context.model}`);
  const expected = context.bank(context.state().activeBank).configFormat;
  if (context.faults.takeRejectedConfigFormat()) {
    throw new OperationFailure('configFormatMismatch', `injected fault: configuration format ${config.format} refused`);
  }
  if (convert && config.format !== expected) config = converted(config, context.model, expected);
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

function converted(config: DeviceConfig, model: string, format: number): DeviceConfig {
  try {
    return migrateConfig(config, model, format).config;
  } catch (error) {
    if (error instanceof MigrationError) throw new OperationFailure('configInvalid', `the device cannot convert the configuration: ${error.message}`);
    throw error;
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
