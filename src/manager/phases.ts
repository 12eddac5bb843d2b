// The phases of one run (DESIGN.md section 1), each a function that orders the device, watches the
// operation and checks the result. A phase either returns what the next one needs or throws a
// PhaseFailure saying why; what to do about a failure (retry, ask, abort) is the caller's decision.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { configDigest, parseConfig } from '../protocol/config.ts';
import type { ImageHeader } from '../protocol/image.ts';
import type { Endpoint, FailCause, OperationType } from '../agent/types.ts';
import type { DeviceDriver, DeviceReading, OperationOrder } from './device-driver.ts';
import { awaitOperation, type NotificationFeed } from './operation-watch.ts';

export type Phase = 'preflight' | 'backup' | 'upgrade' | 'restore' | 'verify';

/** Why a phase failed (PhaseFailure.reason): the device's own cause, or the manager's judgement (silence, a wrong result). */
export type PhaseFailureCause = FailCause | 'silent' | 'operationLost' | 'wrongModel' | 'badBackup' | 'fellBack' | 'mismatch';

export class PhaseFailure extends Error {
  override name = 'PhaseFailure';
  constructor(
    readonly phase: Phase,
    readonly reason: PhaseFailureCause,
    message: string,
  ) {
    super(message);
  }
}

/** The file server the device talks to, as the manager runs it. */
export interface FileService {
  endpoint: Endpoint;
  /** Directory the server serves. */
  root: string;
  /** A single-use, unguessable name the device may upload to once. */
  issueWriteName(hint: string): string;
}

export interface PhaseContext {
  driver: DeviceDriver;
  /** The device's address, as its notifications come from it. */
  device: string;
  files: FileService;
  notifications: NotificationFeed;
  notifyTarget: Endpoint;
  /** A fresh operation row index on this device. */
  nextIndex(): number;
  timeouts: { transferMs: number; bootMs: number };
  pollMs: number;
  onProgress?: (phase: Phase, operation: OperationType, progress: number) => void;
}

export interface Backup {
  file: string;
  sha256: string;
  /** Digest of the configuration it holds, as the device reports its running configuration. */
  configDigest: string;
  configFormat: number;
}

async function runOperation(ctx: PhaseContext, phase: Phase, order: OperationOrder, timeoutMs: number): Promise<void> {
  const index = ctx.nextIndex();
  await ctx.driver.startOperation(index, { ...order, notifyTarget: ctx.notifyTarget });
  const result = await awaitOperation({
    driver: ctx.driver,
    device: ctx.device,
    index,
    notifications: ctx.notifications,
    timeoutMs,
    pollMs: ctx.pollMs,
    onProgress: (p) => ctx.onProgress?.(phase, order.type, p),
  });
  if (result.outcome === 'silent') {
    throw new PhaseFailure(phase, 'silent', `${order.type} did not finish within ${Math.round(timeoutMs / 1000)} s`);
  }
  if (result.outcome === 'lost') throw new PhaseFailure(phase, 'operationLost', `the device lost the ${order.type} operation`);
  if (result.reading.state === 'failed') {
    throw new PhaseFailure(phase, result.reading.failCause, `${order.type} failed: ${result.reading.failMessage || result.reading.failCause}`);
  }
}

/** Reads the device and checks that the image is for it. Changes nothing. */
export async function preflight(ctx: PhaseContext, image: ImageHeader): Promise<DeviceReading> {
  const reading = await ctx.driver.read().catch((error: Error) => {
    throw new PhaseFailure('preflight', 'silent', `the device does not answer: ${error.message}`);
  });
  if (reading.model !== image.model) {
    throw new PhaseFailure('preflight', 'wrongModel', `the image is for ${image.model}, the device is a ${reading.model}`);
  }
  return reading;
}

/** Backs the configuration up and checks what arrived: no verified backup, no upgrade. */
export async function backup(ctx: PhaseContext, running: DeviceReading): Promise<Backup> {
  const file = ctx.files.issueWriteName(ctx.device);
  await runOperation(ctx, 'backup', { type: 'backupConfig', protocol: 'tftp', server: ctx.files.endpoint, fileName: file }, ctx.timeouts.transferMs);
  const content = await readFile(join(ctx.files.root, file)).catch(() => {
    throw new PhaseFailure('backup', 'badBackup', `the device reported success but ${file} did not arrive`);
  });
  let config;
  try {
    config = parseConfig(content);
  } catch (error) {
    throw new PhaseFailure('backup', 'badBackup', `the backup does not parse: ${(error as Error).message}`);
  }
  const digest = configDigest(content);
  if (digest !== running.configDigest) {
    throw new PhaseFailure('backup', 'badBackup', 'the backup differs from the running configuration the device reports');
  }
  return { file, sha256: createHash('sha256').update(content).digest('hex'), configDigest: digest, configFormat: config.format };
}

/**
 * Loads the image into the inactive bank and boots it. A device that comes back on its old software
 * (it fell back) has failed the upgrade, never succeeded.
 */
export async function upgrade(ctx: PhaseContext, imageFile: string, image: ImageHeader, before: DeviceReading): Promise<DeviceReading> {
  await runOperation(ctx, 'upgrade', { type: 'downloadSoftware', protocol: 'tftp', server: ctx.files.endpoint, fileName: imageFile }, ctx.timeouts.transferMs);
  if (before.rebootRequired) await runOperation(ctx, 'upgrade', { type: 'reboot' }, ctx.timeouts.bootMs);
  const after = await ctx.driver.read();
  if (after.runningVersion !== image.version) {
    const how = after.lastBootCause === 'fallback' ? 'the new software did not boot; the device fell back to' : 'the device still runs';
    throw new PhaseFailure('upgrade', 'fellBack', `${how} ${after.runningVersion}`);
  }
  return after;
}

/** Applies a configuration file that the file service holds. */
export async function restore(ctx: PhaseContext, configFile: string): Promise<void> {
  await runOperation(ctx, 'restore', { type: 'restoreConfig', protocol: 'tftp', server: ctx.files.endpoint, fileName: configFile }, ctx.timeouts.transferMs);
}

/** Reads back what runs and compares it with what the run meant to leave. */
export async function verify(ctx: PhaseContext, expected: { version: string; configDigest: string }): Promise<DeviceReading> {
  const reading = await ctx.driver.read();
  if (reading.runningVersion !== expected.version) {
    throw new PhaseFailure('verify', 'mismatch', `running ${reading.runningVersion}, expected ${expected.version}`);
  }
  if (reading.configDigest !== expected.configDigest) {
    throw new PhaseFailure('verify', 'mismatch', 'the running configuration differs from the one restored');
  }
  return reading;
}
