// reboot and revertSoftware: both boot a bank after a pause in which the device does not answer.
// reboot boots the bank marked for the next boot; revertSoftware first marks the other bank (the
// previous software). Either succeeds only if the bank it aimed at is the one running afterwards.
import { otherBank } from '../device-state.ts';
import { OperationFailure, type OperationContext } from './context.ts';

export async function reboot(context: OperationContext, rebootMs: number): Promise<void> {
  context.step(10);
  const result = await context.boot('commanded', rebootMs);
  if (!result.markedBooted) {
    throw new OperationFailure('bootFailed', `${result.failure}; fell back to ${result.booted} (version ${context.bank(result.booted).version})`);
  }
}

export async function revertSoftware(context: OperationContext, rebootMs: number): Promise<void> {
  const previous = otherBank(context.state().activeBank);
  const status = context.bank(previous);
  if (status.state !== 'valid') throw new OperationFailure('noPreviousImage', `${previous} holds no valid image (${status.state}) to go back to`);
  await context.updateState((state) => {
    state.nextBootBank = previous;
    state.bootAttempts = 0;
  });
  context.step(10);
  const result = await context.boot('revert', rebootMs);
  if (!result.markedBooted) {
    throw new OperationFailure('bootFailed', `${result.failure}; still running ${result.booted} (version ${context.bank(result.booted).version})`);
  }
}
