// The running side of a FaultPlan: counts down the faults that happen N times. It belongs to the
// device's surroundings, not to the device, so it survives the device's own power cuts (a plan that
// says "cut the power once" cuts it once).
import type { FaultName, FaultPlan, FailNextFault } from './faults.ts';
import type { FailCause, OperationType } from '../protocol/vocabulary.ts';

type CountedFault = 'corruptDownloads' | 'failBoots' | 'rejectConfigFormat';

const failNextFaultOf: Partial<Record<OperationType, 'failBackups' | 'failDownloads' | 'failRestores'>> = {
  backupConfig: 'failBackups',
  downloadSoftware: 'failDownloads',
  stageSoftware: 'failDownloads',
  restoreConfig: 'failRestores',
  convertConfig: 'failRestores',
};

export class FaultInjector {
  private current: FaultPlan;

  /** `onFault`: told each time a countdown fault strikes (what a fault campaign counts). */
  constructor(
    plan: FaultPlan = {},
    private readonly onFault: (fault: FaultName) => void = () => {},
  ) {
    this.current = clonePlan(plan);
  }

  /** The plan as it stands, remaining counts included. */
  get plan(): FaultPlan {
    return clonePlan(this.current);
  }

  replace(plan: FaultPlan): void {
    this.current = clonePlan(plan);
  }

  get dropNotifications(): number {
    return this.current.dropNotifications ?? 0;
  }

  /** The cause an operation of this type must fail with now, if a countdown fault says so. */
  takeForcedFailure(type: OperationType): FailCause | undefined {
    const name = failNextFaultOf[type];
    const fault: FailNextFault | undefined = name && this.current[name];
    if (!name || !fault || fault.count <= 0) return undefined;
    this.current[name] = { ...fault, count: fault.count - 1 };
    this.onFault(name);
    return fault.cause;
  }

  takeCorruptDownload(): boolean {
    return this.take('corruptDownloads');
  }

  takeFailedBoot(): boolean {
    return this.take('failBoots');
  }

  takeRejectedConfigFormat(): boolean {
    return this.take('rejectConfigFormat');
  }

  /** When an operation of this type reaches this progress and the power must go: the power-off time. */
  takePowerLoss(type: OperationType, percent: number): number | undefined {
    const fault = this.current.powerLoss;
    if (!fault || fault.count <= 0 || fault.operation !== type || percent < fault.percent) return undefined;
    this.current.powerLoss = { ...fault, count: fault.count - 1 };
    this.onFault('powerLoss');
    return fault.powerOffMs;
  }

  /** The port that stays down after this boot into new software, if the plan says one does. */
  takePortDownAfterUpgrade(): string | undefined {
    const fault = this.current.portDownAfterUpgrade;
    if (!fault || fault.count <= 0) return undefined;
    this.current.portDownAfterUpgrade = { ...fault, count: fault.count - 1 };
    this.onFault('portDownAfterUpgrade');
    return fault.port;
  }

  slowsTransfers(): boolean {
    return this.current.slowTransfers !== undefined;
  }

  /** How long a transfer step of `bytes` bytes must take under the slow-transfer fault. */
  transferStepDelayMs(bytes: number): number {
    const slow = this.current.slowTransfers;
    if (!slow) return 0;
    return (slow.stepDelayMs ?? 0) + (slow.bytesPerSecond ? Math.ceil((bytes * 1000) / slow.bytesPerSecond) : 0);
  }

  private take(name: CountedFault): boolean {
    const count = this.current[name] ?? 0;
    if (count <= 0) return false;
    this.current[name] = count - 1;
    this.onFault(name);
    return true;
  }
}

function clonePlan(plan: FaultPlan): FaultPlan {
  // Infinity does not survive JSON, so the copy is made field by field.
  const copy: FaultPlan = { ...plan };
  for (const key of Object.keys(copy) as Array<keyof FaultPlan>) {
    const value = copy[key];
    if (typeof value === 'object' && value !== null) (copy as Record<string, unknown>)[key] = { ...value };
  }
  return copy;
}
