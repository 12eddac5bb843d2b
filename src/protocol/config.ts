// The device's configuration file: what a backup holds and a restore applies. Text, with its format
// number in the first line; each format is a schema (config/format1.ts, config/format2.ts) and this
// module reads, checks and writes any of them.
import { createHash } from 'node:crypto';
import { buildConfig, redactAgainst, renderAgainst, validateAgainst } from './config/document.ts';
import { formatV1, type DeviceConfigV1 } from './config/format1.ts';
import { formatV2, type DeviceConfigV2 } from './config/format2.ts';
import { describeProblem, type AnyFormatSchema, type ConfigHeader } from './config/schema.ts';
import { ConfigError, lexConfig, lexHeader } from './config/text.ts';

export { ConfigError, type ConfigFailure } from './config/text.ts';
export { factoryConfig, type FactoryOptions } from './config/factory.ts';
export type { ConfigHeader, FormatSchema, KeySpec, Problem } from './config/schema.ts';
export type { CodecV1, DeviceConfigV1, FxsPortV1, SipV1 } from './config/format1.ts';
export type { CodecNameV2, CodecV2, DeviceConfigV2, FxsPortV2, SipAccountV2, SipV2 } from './config/format2.ts';
export type * from './config/shared-sections.ts';
export { codecNameFromV1, dtmfModeFromV1, formatV2 } from './config/format2.ts';
export { formatV1 } from './config/format1.ts';

export type ConfigFormat = number;
export type DeviceConfig = DeviceConfigV1 | DeviceConfigV2;

const schemas: ReadonlyMap<number, AnyFormatSchema> = new Map<number, AnyFormatSchema>([
  [1, formatV1 as unknown as AnyFormatSchema],
  [2, formatV2 as unknown as AnyFormatSchema],
]);

/** The formats this build reads and writes, oldest first. */
export const configFormats: readonly ConfigFormat[] = [...schemas.keys()];

function schemaFor(format: number): AnyFormatSchema {
  const schema = schemas.get(format);
  if (!schema) throw new ConfigError('unknownFormat', [`line 1: configuration format ${format} is not one this build knows (${configFormats.join(', ')})`]);
  return schema;
}

/** The format number from the header line alone, without reading the rest; any positive number is returned. */
export function readConfigFormat(text: Buffer | string): ConfigFormat {
  return lexHeader(text).format;
}

/** The whole header line (format, model, serial) without reading the rest. */
export function readConfigHeader(text: Buffer | string): ConfigHeader {
  return lexHeader(text);
}

/** Reads and validates a configuration; throws ConfigError whose messages carry line numbers. */
export function parseConfig(text: Buffer | string): DeviceConfig {
  const header = lexHeader(text);
  const schema = schemaFor(header.format);
  return buildConfig(schema, lexConfig(text)) as unknown as DeviceConfig;
}

/** Problems of a configuration against its format's schema, as "[section] key: what is wrong"; empty when valid. */
export function validateConfig(config: DeviceConfig): string[] {
  const schema = schemas.get(config.format);
  if (!schema) return [`configuration format ${String(config.format)} is not one this build knows (${configFormats.join(', ')})`];
  return validateAgainst(schema, config as unknown as Parameters<typeof validateAgainst>[1]).map(describeProblem);
}

/** The canonical text: same configuration, same bytes. It does not validate (an operator may need to edit an invalid one). */
export function renderConfig(config: DeviceConfig): Buffer {
  return Buffer.from(renderAgainst(schemaFor(config.format), config as unknown as Parameters<typeof renderAgainst>[1]), 'utf8');
}

/** SHA-256 (hex) of the canonical text: comments, spacing and section order in a file do not change it. */
export function configDigest(config: DeviceConfig | Buffer): string {
  return canonicalTextDigest(Buffer.isBuffer(config) ? renderConfig(parseConfig(config)) : renderConfig(config));
}

/** configDigest from the canonical text itself (renderConfig's output), for a caller that has rendered it. */
export function canonicalTextDigest(canonical: Buffer): string {
  return createHash('sha256').update(canonical).digest('hex');
}

/** A copy whose passwords, communities and hashes read "********": for showing, never for restoring. */
export function redactConfig<C extends DeviceConfig>(config: C): C {
  return redactAgainst(schemaFor(config.format), config);
}

/** The schema of a format, for code that walks every key (diffs, migrations, listings). */
export function configSchema(format: ConfigFormat): AnyFormatSchema {
  return schemaFor(format);
}
