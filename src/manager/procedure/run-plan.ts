// Which steps of the method a device's family has, and why not where it lacks one: drawn from the
// family's capabilities, recorded at the start of every run, and followed by the workflow. Pure.
import type { Capabilities, FamilyName } from '../../families/family.ts';

export interface RunPlan {
  /** The configuration is backed up before and restored after (else why not). */
  configuration: { applies: true } | { applies: false; why: string };
  /** The manager orders the reboot into the new software (else who does, or that none is needed). */
  reboot: { ordered: true } | { ordered: false; why: string };
  /** A failed upgrade can be undone by ordering the device back (else why not). */
  revert: { applies: true } | { applies: false; why: string };
  /** How a restored configuration is checked. */
  restoreCheck: 'digest' | 'secondBackup';
  /** The device can convert a configuration to its software's format itself (the run's converter option chooses). */
  deviceConverts: boolean;
  /** New software can wait in the inactive bank, unmarked, until activation (else a staged run downloads it then). */
  stage: { applies: true } | { applies: false; why: string };
}

export function runPlan(family: FamilyName, capabilities: Capabilities): RunPlan {
  return {
    configuration: capabilities.configBackup
      ? { applies: true }
      : { applies: false, why: `a ${family} device holds no configuration of its own to back up (it comes from the operator's provisioning)` },
    reboot:
      capabilities.reboot === 'ordered'
        ? { ordered: true }
        : {
            ordered: false,
            why:
              capabilities.reboot === 'self'
                ? `a ${family} device reboots by itself after a good download`
                : `a ${family} device applies software without a reboot`,
          },
    revert: capabilities.revert
      ? { applies: true }
      : { applies: false, why: `a ${family} device cannot be ordered back to its old software; it falls back by itself when the new one does not start` },
    restoreCheck: capabilities.configDigest ? 'digest' : 'secondBackup',
    deviceConverts: capabilities.convertsConfig,
    stage: capabilities.stages
      ? { applies: true }
      : { applies: false, why: `a ${family} device cannot hold new software unmarked for boot: the run downloads it at activation` },
  };
}

/** The plan's steps a family does not have, as lines for the run's timeline. */
export function skippedSteps(plan: RunPlan): string[] {
  return [
    ...(plan.configuration.applies ? [] : [`backup, migrate and restore do not apply: ${plan.configuration.why}`]),
    ...(plan.reboot.ordered ? [] : [`no reboot is ordered: ${plan.reboot.why}`]),
    ...(plan.revert.applies ? [] : [`no revert: ${plan.revert.why}`]),
  ];
}
