// The signed description of an image: what it is for and what its payload must hash to.
import { ImageError } from './error.ts';

export interface ImageHeader {
  /** The model the software runs on, exactly as the device reports it (e.g. "IAD-2400"). */
  model: string;
  /** The software version the device reports once running it (e.g. "4.2.0"). */
  version: string;
  /** The configuration file format this software reads; the manager migrates backups to it. */
  configFormat: number;
  /** SHA-256 of the payload, lower-case hex. */
  payloadSha256: string;
  payloadLength: number;
  /** Absent means true; false: the device applies this software without a reboot, so the reboot step is skipped. */
  rebootRequired?: boolean;
  /**
   * The device family the image is for (src/families/), when it is not the reference IAD's own software:
   * the image is then a signed manifest around the vendor's file, which the manager serves unchanged.
   */
  family?: string;
  /**
   * Absent means true; false marks a test image that verifies but fails to boot, so the revert path of a run
   * can be exercised on the reference device (a vendor never ships one).
   */
  bootable?: boolean;
}

/** What the packer is told; the payload fields are computed from the payload itself. */
export type ImageDescription = Omit<ImageHeader, 'payloadSha256' | 'payloadLength'>;

export function requiresReboot(header: ImageHeader): boolean {
  return header.rebootRequired !== false;
}

export function isBootable(header: ImageHeader): boolean {
  return header.bootable !== false;
}

/** Largest payload an image may carry: far above any IAD firmware, low enough to hold in memory. */
export const maxPayloadLength = 512 * 1024 * 1024;

const modelPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const versionPattern = /^[A-Za-z0-9][A-Za-z0-9.+_-]{0,63}$/;
const sha256Pattern = /^[0-9a-f]{64}$/;

/** Field order of the encoded header: fixed so that the same description always packs to the same bytes. */
const fieldOrder = ['model', 'version', 'configFormat', 'payloadSha256', 'payloadLength', 'rebootRequired', 'bootable', 'family'] as const;
const familyPattern = /^[a-z][a-z0-9-]{0,31}$/;

/** Every problem with a header's fields; empty when it is well formed. */
export function headerProblems(header: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const { model, version, configFormat, payloadSha256, payloadLength, rebootRequired, bootable, family } = header;
  if (typeof model !== 'string' || !modelPattern.test(model)) {
    problems.push(`model must be 1-64 letters, digits, ".", "_" or "-", got ${JSON.stringify(model)}`);
  }
  if (typeof version !== 'string' || !versionPattern.test(version)) {
    problems.push(`version must be 1-64 letters, digits, ".", "+", "_" or "-", got ${JSON.stringify(version)}`);
  }
  if (typeof configFormat !== 'number' || !Number.isInteger(configFormat) || configFormat < 1 || configFormat > 65535) {
    problems.push(`configFormat must be an integer from 1 to 65535, got ${JSON.stringify(configFormat)}`);
  }
  if (typeof payloadSha256 !== 'string' || !sha256Pattern.test(payloadSha256)) {
    problems.push('payloadSha256 must be 64 lower-case hex digits');
  }
  if (typeof payloadLength !== 'number' || !Number.isInteger(payloadLength) || payloadLength < 0 || payloadLength > maxPayloadLength) {
    problems.push(`payloadLength must be an integer from 0 to ${maxPayloadLength}, got ${JSON.stringify(payloadLength)}`);
  }
  if (rebootRequired !== undefined && typeof rebootRequired !== 'boolean') problems.push('rebootRequired must be true or false');
  if (bootable !== undefined && typeof bootable !== 'boolean') problems.push('bootable must be true or false');
  if (family !== undefined && (typeof family !== 'string' || !familyPattern.test(family))) {
    problems.push(`family must be 1-32 lower-case letters, digits or "-", got ${JSON.stringify(family)}`);
  }
  const unknown = Object.keys(header).filter((key) => !(fieldOrder as readonly string[]).includes(key));
  if (unknown.length > 0) problems.push(`unknown header field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
  return problems;
}

/** Compact JSON in a fixed field order; fields left at their default are omitted. */
export function encodeHeader(header: ImageHeader): Buffer {
  const ordered: Record<string, unknown> = {};
  for (const field of fieldOrder) {
    const value = header[field];
    if (value === undefined || (value === true && (field === 'rebootRequired' || field === 'bootable'))) continue;
    ordered[field] = value;
  }
  return Buffer.from(JSON.stringify(ordered), 'utf8');
}

export function decodeHeader(bytes: Buffer): ImageHeader {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ImageError('corrupt', 'image header is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ImageError('corrupt', 'image header is not a JSON object');
  }
  const problems = headerProblems(parsed as Record<string, unknown>);
  if (problems.length > 0) throw new ImageError('corrupt', `image header is invalid: ${problems.join('; ')}`);
  return parsed as ImageHeader;
}
