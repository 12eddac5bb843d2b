// The faults each virtual device of a chaos campaign carries from its start, drawn from the seed: lost
// notifications, transfers that fail, crawl or arrive corrupt, power cuts in the middle of an operation,
// images that do not boot, restores refused. A fleet process started again after a SIGKILL carries the
// same plan afresh, as a box with a flaky power supply or a bad line would.
import type { FaultPlan } from '../../src/agent/faults.ts';
import type { FailCause } from '../../src/protocol/vocabulary.ts';
import type { Seeded } from './seeded.ts';

export const deviceFaultKinds = [
  'lostNotifications',
  'failedBackup',
  'failedDownload',
  'failedRestore',
  'powerCut',
  'corruptDownload',
  'imageNotBooting',
  'refusedRestore',
  'slowTransfers',
] as const;
export type DeviceFaultKind = (typeof deviceFaultKinds)[number];

const transferCauses: readonly FailCause[] = ['serverUnreachable', 'transferTimeout', 'fileNotFound', 'writeFailed'];

/** One device's plan: none at all for some, one to three faults for the others. */
export function drawDeviceFaults(random: Seeded, share: number): { plan: FaultPlan; kinds: DeviceFaultKind[] } {
  const plan: FaultPlan = {};
  const kinds: DeviceFaultKind[] = [];
  if (!random.chance(share)) return { plan, kinds };
  const count = random.between(1, 3);
  while (kinds.length < count) {
    const kind = random.pick(deviceFaultKinds);
    if (kinds.includes(kind)) continue;
    kinds.push(kind);
    switch (kind) {
      case 'lostNotifications':
        // Up to every one of them: the run must learn everything by polling.
        plan.dropNotifications = random.pick([0.3, 0.6, 1]);
        break;
      case 'failedBackup':
        plan.failBackups = { count: random.between(1, 2), cause: random.pick(transferCauses) };
        break;
      case 'failedDownload':
        plan.failDownloads = { count: random.between(1, 2), cause: random.pick(transferCauses) };
        break;
      case 'failedRestore':
        plan.failRestores = { count: random.between(1, 2), cause: random.pick(transferCauses) };
        break;
      case 'powerCut':
        plan.powerLoss = {
          operation: random.pick(['backupConfig', 'downloadSoftware', 'reboot', 'restoreConfig'] as const),
          percent: random.between(0, 95),
          powerOffMs: random.between(200, 2000),
          count: 1,
        };
        break;
      case 'corruptDownload':
        plan.corruptDownloads = 1;
        break;
      case 'imageNotBooting':
        plan.failBoots = 1;
        break;
      case 'refusedRestore':
        plan.rejectConfigFormat = 1;
        break;
      case 'slowTransfers':
        plan.slowTransfers = { stepDelayMs: random.between(50, 400) };
        break;
    }
  }
  return { plan, kinds };
}
