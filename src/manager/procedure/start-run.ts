// Starting a run: check the request against the inventory and the images, then create the run row.
// The database refuses a second active run on a device, whichever manager asks.
import type { DeviceStore } from '../store/devices.ts';
import type { ImageStore } from '../store/images.ts';
import type { Actor, RunKind, RunRecord } from '../store/records.ts';
import { ActiveRunError, type RunStore } from '../store/runs.ts';
import { isActor, RunRequestError } from './errors.ts';
import { PolicyError, resolvePolicy, type PolicyRequest } from './policy.ts';
import { defaultPhaseTimeouts, timeLimitsOf } from './timeouts.ts';
import { resolveRunOptions, RunOptionsError, type RunDefaults, type RunOptionsRequest } from './run-options.ts';

export interface StartRunRequest {
  deviceId: number;
  imageSha256: string;
  policy?: PolicyRequest;
  startedBy: Actor;
  /** A run ID chosen by the caller (see runIdPattern); the run store numbers it otherwise. */
  runId?: string;
  /** Transport, time limits, reinstall: the run's own choice. */
  options?: RunOptionsRequest;
  /** The campaign's choice, under the run's own and above the device's default. */
  campaignOptions?: RunOptionsRequest;
}

/** IDs a caller may choose: they name the run's workflow too, and appear in URLs. */
export const runIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface RunCreation {
  runs: RunStore;
  devices: DeviceStore;
  images: ImageStore;
  /** The manager's transport and time limits; the built-in ones when absent. */
  defaults?: RunDefaults;
}

const builtInDefaults: RunDefaults = { transport: 'tftp', timeLimits: timeLimitsOf(defaultPhaseTimeouts) };

/** The default policy of an on-demand backup: nobody is waiting to be asked, so it gives up instead. */
const backupRunPolicy: PolicyRequest = { backup: { then: 'abort' } };

export async function createRun(
  stores: RunCreation,
  kind: RunKind,
  request: Omit<StartRunRequest, 'imageSha256'> & { imageSha256?: string },
): Promise<RunRecord> {
  if (request.runId !== undefined && !runIdPattern.test(request.runId))
    throw new RunRequestError('badRunId', `a run ID is 1 to 128 letters, digits, dots, dashes or underscores, got ${JSON.stringify(request.runId)}`);
  if (!isActor(request.startedBy))
    throw new RunRequestError('badActor', `startedBy must be "operator:<name>", "policy", "device" or "manager", got ${JSON.stringify(request.startedBy)}`);
  let policy: ReturnType<typeof resolvePolicy>;
  try {
    policy = resolvePolicy(request.policy ?? (kind === 'backup' ? backupRunPolicy : {}));
  } catch (error) {
    if (error instanceof PolicyError) throw new RunRequestError('badPolicy', error.message);
    throw error;
  }
  const device = await stores.devices.get(request.deviceId);
  if (!device) throw new RunRequestError('unknownDevice', `no device ${String(request.deviceId)} in the inventory`);
  let options: ReturnType<typeof resolveRunOptions>;
  try {
    options = resolveRunOptions([request.options, request.campaignOptions], device.transport, stores.defaults ?? builtInDefaults);
  } catch (error) {
    if (error instanceof RunOptionsError) throw new RunRequestError('badOptions', error.message);
    throw error;
  }
  let imageSha256: string | null = null;
  if (kind === 'upgrade') {
    const image = typeof request.imageSha256 === 'string' ? await stores.images.get(request.imageSha256) : undefined;
    if (!image) throw new RunRequestError('unknownImage', `no image ${String(request.imageSha256)} in the image store`);
    if (device.model !== null && device.model !== image.model) {
      throw new RunRequestError('wrongModel', `image ${image.version} is for ${image.model}; device ${device.name} is a ${device.model}`);
    }
    if ((image.family ?? 'safeflash') !== device.family) {
      throw new RunRequestError(
        'wrongModel',
        `image ${image.version} is for ${image.family ?? 'safeflash'} devices; device ${device.name} is a ${device.family} device`,
      );
    }
    imageSha256 = image.sha256;
  }
  try {
    return await stores.runs.create({
      kind,
      deviceId: device.id,
      imageSha256,
      policy,
      options,
      startedBy: request.startedBy,
      ...(request.runId !== undefined ? { id: request.runId } : {}),
    });
  } catch (error) {
    if (error instanceof ActiveRunError) throw new RunRequestError('activeRun', `device ${device.name} ${error.message.replace(/^device \d+ /, '')}`);
    throw error;
  }
}
