// The procedure's decisions, as pure functions of what the run knows: what to do after a failure, what a
// failed upgrade leaves to undo, whether a configuration needs migrating, what a rollback does next,
// and what the final report says. The workflow calls these; their tests need no device and no database.
import type { Bank } from '../../protocol/vocabulary.ts';
import type { Actor, DecisionAnswer, PhasePolicy, Phase, RunOutcome } from '../store/records.ts';
import type { Cause } from './causes.ts';
import { maxBackoffSeconds } from './policy.ts';
import { isOneOf } from '../../protocol/vocabulary.ts';

/** Why an attempt failed: the device's fail cause, or the manager's judgement ('silent', 'fellBack', ...). */
export interface Failure {
  phase: Phase;
  cause: Cause;
  message: string;
  /** Facts for the timeline, e.g. which time limit ran out ({ limit, seconds }). */
  detail?: Record<string, unknown>;
}

/**
 * What the procedure needs to know of a device reading to decide. A family that shows no banks (a
 * cable modem) or no configuration digest (vendor MIBs) reads null there, and the decisions go by the
 * running version, or by a backup taken again, instead.
 */
export interface DeviceFacts {
  runningVersion: string;
  activeBank: Bank | null;
  configDigest: string | null;
}

/**
 * Whether the device still (or again) runs the software it ran before: the same bank where banks show,
 * else the same version. By version alone, a reinstall of the running version (`newVersion` the same)
 * cannot be told from a fallback, so it does not count as one.
 */
export function runsOriginal(
  before: Pick<DeviceFacts, 'activeBank' | 'runningVersion'>,
  now: Pick<DeviceFacts, 'activeBank' | 'runningVersion'>,
  newVersion?: string,
): boolean {
  if (before.activeBank !== null && now.activeBank !== null) return now.activeBank === before.activeBank;
  return now.runningVersion === before.runningVersion && newVersion !== before.runningVersion;
}

/** " from bankB", or nothing for a device that shows no banks: for messages. */
export function fromBank(facts: Pick<DeviceFacts, 'activeBank'>): string {
  return facts.activeBank === null ? '' : ` from ${facts.activeBank}`;
}

// ------------------------------------------------------------------ after a failed attempt

/**
 * Causes that repeating the same attempt cannot get past: the image or configuration itself is wrong,
 * or the device cannot do it. Retrying them only wastes the retries; the policy's `then` decides at once.
 */
const permanentCauses: ReadonlySet<Cause> = new Set<Cause>([
  'wrongModel',
  'wrongFamily',
  'imageBadSignature',
  'imageWrongModel',
  'noPreviousImage',
  'configInvalid',
  'migrationFailed',
  'unparsable',
  'tooLarge',
  'networkNotAllowed',
  'notSupported',
]);

export function isPermanent(cause: Cause): boolean {
  return permanentCauses.has(cause);
}

export type NextStep = { action: 'retry'; backoffSeconds: number } | { action: 'ask' } | { action: 'abort' };

/**
 * What follows the `failures`-th failed attempt of a phase (counted since the phase began or the
 * operator last answered retry): retry with a doubling backoff while retries remain, then the policy's
 * `then`.
 */
export function afterFailure(policy: PhasePolicy, failures: number, cause: Cause): NextStep {
  if (!Number.isInteger(failures) || failures < 1) throw new RangeError(`failures counts failed attempts from 1, got ${failures}`);
  if (!isPermanent(cause) && failures <= policy.retries) {
    return { action: 'retry', backoffSeconds: Math.min(maxBackoffSeconds, policy.backoffSeconds * 2 ** (failures - 1)) };
  }
  return { action: policy.then };
}

/** Phases whose failure an operator may answer with keepNewSoftware: the new software runs by then. */
export function canKeepNewSoftware(phase: Phase): boolean {
  return phase === 'migrate' || phase === 'restore' || phase === 'verify';
}

/** What an operator may hand in with retry: a corrected image for the upgrade, an edited configuration after it. */
export function acceptsSupplied(phase: Phase, what: 'image' | 'config'): boolean {
  return what === 'image' ? phase === 'upgrade' : canKeepNewSoftware(phase);
}

export const decisionAnswers = ['retry', 'abort', 'keepNewSoftware', 'activate'] as const satisfies readonly DecisionAnswer[];

export function isDecisionAnswer(answer: unknown): answer is DecisionAnswer {
  return isOneOf(decisionAnswers, answer);
}

/** What a parked run takes: a waiting run a decision on its failure, a staged run its activation (or abort). */
export function answersOf(parkedAs: 'waiting' | 'staged'): readonly DecisionAnswer[] {
  return parkedAs === 'staged' ? ['activate', 'abort'] : ['retry', 'abort', 'keepNewSoftware'];
}

// ------------------------------------------------------------------ before the upgrade

/** What a device is known to run: a reading (with bank digests, when it reports them) or an inventory row. */
export interface InstalledSoftware {
  runningVersion: string | null;
  activeBank?: Bank | null;
  banks?: ReadonlyArray<{ bank: Bank; imageDigest?: string | undefined }> | null;
}

/**
 * Whether the device already runs the image, so that installing it would only cost an outage and
 * overwrite the other bank (the way back): the same version and, when both the device and the image
 * say so, the same payload digest in the active bank. A run ends upToDate on it; a campaign skips the
 * device; `reinstall` overrides both.
 */
export function alreadyInstalled(image: { version: string; payloadSha256?: string | null }, device: InstalledSoftware): boolean {
  if (device.runningVersion !== image.version) return false;
  const digest = device.banks?.find((bank) => bank.bank === device.activeBank)?.imageDigest;
  if (digest !== undefined && image.payloadSha256) return digest === image.payloadSha256;
  return true;
}

// ------------------------------------------------------------------ cancel

/** The cause of a phase stopped by an operator's cancel request. */
export const cancelledCause = 'cancelled' satisfies Cause;

export function cancelFailure(phase: Phase, by: `operator:${string}`): Failure {
  return { phase, cause: cancelledCause, message: `cancelled by ${operatorName(by)}` };
}

/**
 * Whether an operation may still be ordered once a cancel was asked for: only those that bring the
 * device back (a revert, anything in the rollback). Everything else waits for a run that goes on.
 */
export function startsAfterCancel(phase: Phase, type: string): boolean {
  return phase === 'rollback' || type === 'revertSoftware';
}

// ------------------------------------------------------------------ upgrade

/**
 * Step 160, after a failed upgrade attempt: revert when the device runs the bank that was inactive
 * before the upgrade (the new software started but something after it failed); nothing to do when it
 * still or again runs the original bank (the download failed before touching it, or the device fell
 * back by itself); unknown while it does not answer.
 */
export type UpgradeRecovery = 'revert' | 'nothingToRevert' | 'unknown';

export function afterFailedUpgrade(
  before: Pick<DeviceFacts, 'activeBank' | 'runningVersion'>,
  now: Pick<DeviceFacts, 'activeBank' | 'runningVersion'> | undefined,
): UpgradeRecovery {
  if (now === undefined) return 'unknown';
  return runsOriginal(before, now) ? 'nothingToRevert' : 'revert';
}

/** The read-back after download and reboot: the new version from the other bank, or the reason it is not. */
export function judgeUpgrade(before: DeviceFacts, version: string, after: DeviceFacts & { lastBootCause: string | null }): Failure | undefined {
  if (runsOriginal(before, after, version)) {
    const how = after.lastBootCause === 'fallback' ? 'the new software did not start; the device fell back to' : 'the device still runs';
    return { phase: 'upgrade', cause: 'fellBack', message: `${how} ${after.runningVersion}${fromBank(after)}` };
  }
  if (after.runningVersion !== version) {
    return { phase: 'upgrade', cause: 'mismatch', message: `the device runs ${after.runningVersion}${fromBank(after)}, expected ${version}` };
  }
  return undefined;
}

/**
 * The upgrade attempt's verdict from the reboot order's end and the read-back after it. What the device
 * runs decides, not the order: a reboot whose order was lost (power cut mid-boot, the row gone, the
 * wait ran out) may still have brought the new software up from the new bank, and reverting that would
 * be a second outage for nothing. `rebootFailure`: how the reboot order ended, undefined when it
 * succeeded or none was needed; `after`: the read-back.
 */
export type RebootVerdict = { ok: true; despite?: Failure } | { ok: false; failure: Failure };

export function judgeReboot(
  before: DeviceFacts,
  version: string,
  rebootFailure: Failure | undefined,
  after: DeviceFacts & { lastBootCause: string | null },
): RebootVerdict {
  const wrong = judgeUpgrade(before, version, after);
  if (wrong === undefined) return rebootFailure ? { ok: true, despite: rebootFailure } : { ok: true };
  // The reboot order's own failure says more than the read-back it caused.
  return { ok: false, failure: rebootFailure ?? wrong };
}

// ------------------------------------------------------------------ configuration

export function needsMigration(backupFormat: number, targetFormat: number): boolean {
  return backupFormat !== targetFormat;
}

/** A restore the device refused for its format is retried with the configuration migrated again. */
export function restoreNeedsRemigration(previous: Failure | undefined): boolean {
  return previous?.cause === 'configFormatMismatch';
}

/**
 * Verify: the new version from the new bank, with the configuration that was restored. `restoredDigest`
 * null: nothing was restored (the family keeps no configuration of its own), or the device reports no
 * digest and the restore phase compared a second backup instead.
 */
export function judgeVerify(before: DeviceFacts, version: string, restoredDigest: string | null, now: DeviceFacts | undefined): Failure | undefined {
  if (now === undefined) return { phase: 'verify', cause: 'silent', message: 'the device does not answer' };
  if (runsOriginal(before, now, version)) {
    return { phase: 'verify', cause: 'fellBack', message: `the device fell back to ${now.runningVersion}${fromBank(now)}` };
  }
  if (now.runningVersion !== version) return { phase: 'verify', cause: 'mismatch', message: `running ${now.runningVersion}, expected ${version}` };
  if (restoredDigest !== null && now.configDigest !== null && now.configDigest !== restoredDigest) {
    return {
      phase: 'verify',
      cause: 'mismatch',
      message: `running configuration ${short(now.configDigest)} differs from the restored ${short(restoredDigest)}`,
    };
  }
  return undefined;
}

// ------------------------------------------------------------------ rollback

export type RollbackStep = 'revert' | 'restoreOriginal' | 'done';

/**
 * The next step of a full rollback: first back to the original bank (the previous software), then the
 * original backup, until the device runs what it ran before the run with the configuration it had. A
 * device that reports no digest cannot say which configuration runs: the original is restored once
 * (`originalRestored` says whether that was done).
 */
export function nextRollbackStep(original: DeviceFacts, now: DeviceFacts, originalRestored = false): RollbackStep {
  if (!runsOriginal(original, now)) return 'revert';
  if (original.configDigest === null) return 'done';
  if (now.configDigest === null) return originalRestored ? 'done' : 'restoreOriginal';
  return now.configDigest === original.configDigest ? 'done' : 'restoreOriginal';
}

// ------------------------------------------------------------------ the final report

export type RunEnd =
  /** Everything the run set out to do is done and read back (newSoftware: an upgrade, not a backup). */
  | { kind: 'verified'; newSoftware: boolean; device: DeviceFacts; backupSha256: string | null; summary: string }
  /** The device already runs the image: nothing to do, nothing was changed. */
  | { kind: 'upToDate'; device: DeviceFacts; version: string; backupSha256: null }
  /** The run stopped before it changed anything on the device. */
  | {
      kind: 'stopped';
      failure: Failure;
      by: Actor;
      device: DeviceFacts | undefined;
      backupSha256: string | null;
      /** What the run left on the device, when not "nothing changed" (a staged image, unmarked). */
      left?: string;
    }
  /** The operator chose to keep the new software: no rollback. */
  | { kind: 'keptNewSoftware'; failure: Failure; by: Actor; device: DeviceFacts | undefined; backupSha256: string | null }
  /** A full rollback ran; `restored` says whether the device is back as it was found. */
  | { kind: 'rolledBack'; failure: Failure; by: Actor; restored: boolean; device: DeviceFacts | undefined; backupSha256: string | null; problem?: string }
  /** The manager itself failed mid-run: what the device runs is not known. */
  | { kind: 'internalError'; message: string };

export function runOutcome(end: RunEnd): RunOutcome {
  if (end.kind === 'internalError') {
    return {
      state: 'failed',
      keptNewSoftware: false,
      runningVersion: null,
      configDigest: null,
      backupSha256: null,
      summary: `the manager failed (${end.message}); the device's state is unknown and needs an operator`,
    };
  }
  const device = {
    runningVersion: end.device?.runningVersion ?? null,
    configDigest: end.device?.configDigest ?? null,
    backupSha256: end.backupSha256,
  };
  if (end.kind === 'verified') return { state: 'verified', keptNewSoftware: end.newSoftware, ...device, summary: end.summary };
  if (end.kind === 'upToDate') {
    return {
      state: 'upToDate',
      keptNewSoftware: false,
      ...device,
      summary: `already up to date: the device runs ${end.version}${fromBank(end.device)}; nothing on the device was changed (reinstall to install it again)`,
    };
  }
  const why = whyEnded(end.failure, end.by);
  switch (end.kind) {
    case 'stopped':
      return {
        state: end.by.startsWith('operator:') ? 'aborted' : 'failed',
        keptNewSoftware: false,
        ...device,
        summary: `${why}; ${end.left ?? 'nothing on the device was changed'}`,
      };
    case 'keptNewSoftware':
      return { state: 'aborted', keptNewSoftware: true, ...device, summary: `${why}; the new software was kept as the operator decided` };
    case 'rolledBack':
      return end.restored
        ? {
            state: 'rolledBack',
            keptNewSoftware: false,
            ...device,
            summary: `${why}; rolled back: the device runs its previous software with its original configuration`,
          }
        : {
            state: 'failed',
            keptNewSoftware: false,
            ...device,
            summary: `${why}; the rollback did not finish (${end.problem ?? 'unknown'}): the device needs an operator`,
          };
  }
}

/** What stopped the run, and who or what decided so. */
function whyEnded(failure: Failure, by: Actor): string {
  if (failure.cause === cancelledCause) return `cancelled by ${operatorName(by)} during ${failure.phase}`;
  const what = `${failure.phase} failed (${failure.cause}: ${failure.message})`;
  // Preflight has no retry and no question: a device that cannot be read or does not fit the image
  // stops the run at once, before anything is changed, whatever the policy says for later phases.
  if (failure.phase === 'preflight' && !by.startsWith('operator:')) return `${what}; a run stops at once when preflight fails (it is never retried or asked)`;
  return `${what}; ${byWhom(by)}`;
}

function operatorName(actor: Actor): string {
  return actor.startsWith('operator:') ? actor.slice('operator:'.length) : actor;
}

function byWhom(actor: Actor): string {
  return actor === 'policy'
    ? 'the policy stopped the run'
    : actor.startsWith('operator:')
      ? `${actor.slice('operator:'.length)} stopped the run`
      : `stopped by the ${actor}`;
}

function short(digest: string): string {
  return digest.slice(0, 12);
}

// ------------------------------------------------------------------ who said so

/** Failures the manager judges (silence, a wrong read-back, a bad file) rather than the device reports. */
const judgedByManager: ReadonlySet<Cause> = new Set<Cause>([
  'silent',
  'operationLost',
  'fellBack',
  'mismatch',
  'migrationFailed',
  'missing',
  'empty',
  'unparsable',
  'tooLarge',
  'wrongModel',
  'wrongFamily',
  'unknown',
  'networkNotAllowed',
  cancelledCause,
]);

export function failureActor(cause: Cause): Extract<Actor, 'device' | 'manager'> {
  return judgedByManager.has(cause) ? 'manager' : 'device';
}
