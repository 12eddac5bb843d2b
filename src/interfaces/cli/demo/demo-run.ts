// One device through the method, phase after phase, retrying a failed phase a few times with backoff.
// It keeps nothing durable: a crash of the demo loses its runs (the durable procedure does not).
import { setTimeout as sleep } from 'node:timers/promises';
import type { ImageHeader } from '../../../protocol/image.ts';
import { DeviceDriver, type DeviceReading } from '../../../manager/device-driver.ts';
import { backup, preflight, PhaseFailure, restore, upgrade, verify, type Backup, type Phase, type PhaseContext } from '../../../manager/phases.ts';

export interface DemoRunResult {
  device: string;
  outcome: 'verified' | 'failed';
  /** Phases passed, in order. */
  phases: Phase[];
  retries: number;
  /** Times the device came back on its old software after a failed upgrade. */
  fallbacks: number;
  failure?: PhaseFailure;
  fromVersion: string;
  toVersion: string;
  backup?: Backup;
  ms: number;
}

export interface DemoRunOptions {
  context: Omit<PhaseContext, 'driver'> & { driver: DeviceDriver };
  imageFile: string;
  image: ImageHeader;
  attempts: number;
  backoffMs: number;
  onEvent: (text: string) => void;
}

/** The device booted the new software, it failed, and the device went back to the old bank. */
function fellBack(failure: PhaseFailure): boolean {
  return failure.reason === 'fellBack' || failure.reason === 'bootFailed';
}

export async function runDevice(options: DemoRunOptions): Promise<DemoRunResult> {
  const { context: ctx, image } = options;
  const started = Date.now();
  const result: DemoRunResult = { device: ctx.device, outcome: 'failed', phases: [], retries: 0, fallbacks: 0, fromVersion: '', toVersion: '', ms: 0 };

  async function phase<T>(name: Phase, work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const value = await work();
        result.phases.push(name);
        return value;
      } catch (error) {
        if (!(error instanceof PhaseFailure) || attempt >= options.attempts) throw error;
        if (fellBack(error)) result.fallbacks++;
        result.retries++;
        options.onEvent(`${name} failed (${error.message}); retry ${attempt} of ${options.attempts - 1}`);
        await sleep(options.backoffMs * 2 ** (attempt - 1));
      }
    }
  }

  try {
    const before: DeviceReading = await phase('preflight', () => preflight(ctx, image));
    result.fromVersion = before.runningVersion;
    options.onEvent(`preflight: ${before.model} ${before.serial} running ${before.runningVersion}, config format ${before.configFormat}`);
    const saved = await phase('backup', () => backup(ctx, before));
    result.backup = saved;
    options.onEvent(`backup verified: ${saved.file} (config digest ${saved.configDigest.slice(0, 12)}…)`);
    const after = await phase('upgrade', () => upgrade(ctx, options.imageFile, image, before));
    result.toVersion = after.runningVersion;
    options.onEvent(`upgrade: running ${after.runningVersion} from ${after.activeBank}, ${before.runningVersion} kept in the other bank`);
    await phase('restore', () => restore(ctx, saved.file));
    options.onEvent('restore: configuration applied');
    await phase('verify', () => verify(ctx, { version: image.version, configDigest: saved.configDigest }));
    options.onEvent(`verified: ${image.version} with the customer's configuration`);
    result.outcome = 'verified';
  } catch (error) {
    if (error instanceof PhaseFailure) {
      result.failure = error;
      if (fellBack(error)) result.fallbacks++;
      options.onEvent(`FAILED in ${error.phase}: ${error.message}`);
    } else {
      result.failure = new PhaseFailure(result.phases.length === 0 ? 'preflight' : 'verify', 'unknown', (error as Error).message);
      options.onEvent(`FAILED: ${(error as Error).message}`);
    }
  } finally {
    ctx.driver.close();
  }
  result.ms = Date.now() - started;
  return result;
}
