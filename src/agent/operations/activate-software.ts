// activateSoftware: the software staged in the inactive bank (stageSoftware) becomes the running one.
// The staged image is read from the bank and checked again as strictly as a download (a bank can rot,
// a key can be withdrawn between staging and activation); only then is the bank marked for the next
// boot and booted, or applied in place on a device that needs no reboot. The running bank stays as it
// is: a staged image that does not start falls back to it.
import { otherBank } from '../device-state.ts';
import { OperationFailure, type OperationContext } from './context.ts';
import { verify } from './download-software.ts';

export async function activateSoftware(context: OperationContext, rebootMs: number): Promise<void> {
  const staged = otherBank(context.state().activeBank);
  const image = context.bank(staged).state === 'valid' ? await context.readBank(staged) : undefined;
  if (!image) throw new OperationFailure('nothingStaged', `${staged} holds no valid image to activate (${context.bank(staged).state})`);
  const header = verify(context, image);
  context.step(10);
  await context.updateState((state) => {
    state.nextBootBank = staged;
    state.bootAttempts = 0;
  });
  context.step(20);
  const result = await context.boot('commanded', context.rebootRequired ? rebootMs : 0);
  if (!result.markedBooted) {
    throw new OperationFailure(
      'bootFailed',
      `version ${header.version} did not start (${result.failure}); fell back to ${result.booted} (version ${context.bank(result.booted).version})`,
    );
  }
}
