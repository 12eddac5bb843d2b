// Pre-checks and post-checks (DESIGN.md section 2d): each a small named function that gives a verdict
// and says why. Pre-checks run before the run changes anything and again just before activation;
// post-checks compare what the device served before the upgrade with what it serves after. Pure: the
// workflow reads the device, these judge.
import type { DeviceCondition, DeviceReading } from '../../families/family.ts';
import { isOneOf } from '../../protocol/vocabulary.ts';

export const preCheckNames = ['model', 'bankSpace', 'noOperation', 'configUnchanged', 'imageTrusted'] as const;
export const postCheckNames = ['ports', 'lines', 'alarms'] as const;
export const checkNames = [...preCheckNames, ...postCheckNames] as const;
export type PreCheckName = (typeof preCheckNames)[number];
export type PostCheckName = (typeof postCheckNames)[number];
export type CheckName = (typeof checkNames)[number];

export function isCheckName(value: unknown): value is CheckName {
  return isOneOf(checkNames, value);
}

/** `skip`: the check does not apply here, the device does not say, or the run's options leave it out. */
export type Verdict = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  name: CheckName;
  verdict: Verdict;
  message: string;
}

/** When a round of checks runs: its line in the run's report. */
export const checkRounds = ['beforeChanges', 'beforeActivation', 'afterUpgrade'] as const;
export type CheckRound = (typeof checkRounds)[number];

/** What the checks need to know of the image (the run's ImageFacts have it). */
export interface CheckedImage {
  sha256: string;
  model: string;
  version: string;
  /** What a device reports as the bank's image digest, where known. */
  payloadSha256?: string | null;
  /** Bytes, where known. */
  size?: number;
}

export interface PreCheckFacts {
  image: CheckedImage;
  reading: DeviceReading;
  condition: DeviceCondition;
  /** The configuration digest of the run's backup, once it has one (at activation). */
  backupDigest?: string;
  /** At activation: the image must be the one staged in the inactive bank, not marked for boot. */
  staged?: boolean;
  /** Whether the image is still in the manager's store, its signature checked when it was added. */
  imageInStore: boolean;
}

const pass = (name: CheckName, message: string): CheckResult => ({ name, verdict: 'pass', message });
const fail = (name: CheckName, message: string): CheckResult => ({ name, verdict: 'fail', message });
const skip = (name: CheckName, message: string): CheckResult => ({ name, verdict: 'skip', message });

const preChecks: Record<PreCheckName, (facts: PreCheckFacts) => CheckResult> = {
  model: ({ image, reading }) =>
    reading.model === image.model
      ? pass('model', `the device answers and is a ${reading.model}`)
      : fail('model', `the device is a ${reading.model}, the image is for ${image.model}`),

  bankSpace: ({ image, condition, staged }) => {
    if (staged) return skip('bankSpace', 'the image is in the inactive bank already');
    if (condition.bankCapacity === null) return skip('bankSpace', 'the device does not say how much its banks hold');
    if (image.size === undefined) return skip('bankSpace', 'the image size is not known');
    return image.size <= condition.bankCapacity
      ? pass('bankSpace', `the image (${image.size} bytes) fits the inactive bank (${condition.bankCapacity} bytes)`)
      : fail('bankSpace', `the image takes ${image.size} bytes and the inactive bank holds ${condition.bankCapacity}: not enough space`);
  },

  noOperation: ({ condition }) => {
    if (condition.operationInProgress === null) return skip('noOperation', 'the device does not show its operations');
    return condition.operationInProgress === ''
      ? pass('noOperation', 'no operation in progress on the device')
      : fail('noOperation', `${condition.operationInProgress} is in progress on the device`);
  },

  configUnchanged: ({ reading, backupDigest }) => {
    if (backupDigest === undefined) return skip('configUnchanged', 'nothing backed up yet');
    if (reading.configDigest === null) return skip('configUnchanged', 'the device reports no configuration digest');
    return reading.configDigest === backupDigest
      ? pass('configUnchanged', 'the configuration is the one backed up')
      : fail('configUnchanged', `the configuration changed since the backup (${backupDigest.slice(0, 12)} then, ${reading.configDigest.slice(0, 12)} now)`);
  },

  imageTrusted: ({ image, reading, staged, imageInStore }) => {
    if (!imageInStore) return fail('imageTrusted', `image ${image.version} (${image.sha256.slice(0, 12)}) is no longer in the image store`);
    if (!staged) return pass('imageTrusted', `image ${image.version} is in the store, its signature checked`);
    const inactive = reading.banks.find((bank) => bank.bank !== reading.activeBank);
    if (inactive?.state !== 'valid' || inactive.version !== image.version)
      return fail(
        'imageTrusted',
        `the inactive bank no longer holds ${image.version} (${inactive ? `${inactive.state} ${inactive.version}`.trim() : 'no bank'})`,
      );
    if (image.payloadSha256 && inactive.imageDigest && inactive.imageDigest !== image.payloadSha256)
      return fail('imageTrusted', `the image in ${inactive.bank} is not the one staged (digest ${inactive.imageDigest.slice(0, 12)})`);
    if (reading.nextBootBank !== null && reading.nextBootBank !== reading.activeBank)
      return fail('imageTrusted', `${inactive.bank} is marked for the next boot: something other than this run marked it`);
    return pass('imageTrusted', `${inactive.bank} holds ${image.version} as staged, not marked for boot`);
  },
};

/** The pre-checks, in order; those named in `skipped` are reported skipped. */
export function runPreChecks(facts: PreCheckFacts, skipped: readonly CheckName[] = []): CheckResult[] {
  return preCheckNames.map((name) => (skipped.includes(name) ? skip(name, 'left out by the run') : preChecks[name](facts)));
}

const postChecks: Record<PostCheckName, (before: DeviceCondition, after: DeviceCondition) => CheckResult> = {
  ports: (before, after) => {
    if (before.ports === null || after.ports === null) return skip('ports', 'the device shows no ports (IF-MIB)');
    const lost = before.ports.filter((was) => was.oper === 'up' && after.ports?.find((now) => now.ifIndex === was.ifIndex)?.oper !== 'up');
    const up = before.ports.filter((port) => port.oper === 'up').length;
    return lost.length === 0
      ? pass('ports', `the ${up} ports up before are up`)
      : fail(
          'ports',
          `${lost.map((port) => port.name).join(', ')} ${lost.length === 1 ? 'was' : 'were'} up before the upgrade and ${lost.length === 1 ? 'is' : 'are'} not now`,
        );
  },
  lines: (before, after) => {
    if (before.registeredLines === null || after.registeredLines === null) return skip('lines', 'the device does not report registered lines');
    return after.registeredLines >= before.registeredLines
      ? pass('lines', `${after.registeredLines} lines registered (${before.registeredLines} before)`)
      : fail('lines', `${after.registeredLines} lines registered, ${before.registeredLines} before`);
  },
  alarms: (before, after) => {
    if (before.activeAlarms === null || after.activeAlarms === null) return skip('alarms', 'the device does not report alarms');
    return after.activeAlarms <= before.activeAlarms
      ? pass('alarms', `${alarms(after.activeAlarms)} raised (${before.activeAlarms} before)`)
      : fail('alarms', `${alarms(after.activeAlarms)} raised, ${before.activeAlarms} before`);
  },
};

const alarms = (n: number) => `${n} alarm${n === 1 ? '' : 's'}`;

/** Each post-check compares before with after: worse is a failure. */
export function runPostChecks(before: DeviceCondition, after: DeviceCondition, skipped: readonly CheckName[] = []): CheckResult[] {
  return postCheckNames.map((name) => (skipped.includes(name) ? skip(name, 'left out by the run') : postChecks[name](before, after)));
}

export function failedChecks(results: readonly CheckResult[]): CheckResult[] {
  return results.filter((result) => result.verdict === 'fail');
}

/** One line for the timeline: every failure, else how many passed. */
export function checksSummary(round: CheckRound, results: readonly CheckResult[]): string {
  const failed = failedChecks(results);
  const title = { beforeChanges: 'pre-checks', beforeActivation: 'pre-checks before activation', afterUpgrade: 'post-checks' }[round];
  if (failed.length > 0) return `${title}: ${failed.map((result) => `${result.name}: ${result.message}`).join('; ')}`;
  const passed = results.filter((result) => result.verdict === 'pass').length;
  return `${title}: ${passed} passed, ${results.length - passed} skipped`;
}

/** A run's checks as its report shows them: a row per check, its verdict in each round that ran. */
export interface CheckReport {
  rounds: CheckRound[];
  rows: Array<{ name: CheckName; verdicts: Partial<Record<CheckRound, { verdict: Verdict; message: string }>> }>;
}

/** The report from a run's timeline (its `checks` lines); the last round of each kind counts. */
export function checkReport(timeline: ReadonlyArray<{ kind: string; detail: Record<string, unknown> }>): CheckReport {
  const latest = new Map<CheckRound, CheckResult[]>();
  for (const event of timeline) {
    const round = event.detail.round;
    if (event.kind === 'checks' && isOneOf(checkRounds, round) && Array.isArray(event.detail.checks)) latest.set(round, event.detail.checks as CheckResult[]);
  }
  const rounds = checkRounds.filter((round) => latest.has(round));
  const rows = checkNames
    .map((name) => ({
      name,
      verdicts: Object.fromEntries(
        rounds.flatMap((round) => {
          const found = latest.get(round)?.find((result) => result.name === name);
          return found ? [[round, { verdict: found.verdict, message: found.message }]] : [];
        }),
      ),
    }))
    .filter((row) => Object.keys(row.verdicts).length > 0);
  return { rounds, rows };
}
