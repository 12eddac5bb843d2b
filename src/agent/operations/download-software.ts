// downloadSoftware: fetch an image, verify it completely, and only then write it to the inactive bank
// and mark that bank for the next boot. stageSoftware does the same without marking the bank, so that
// the device keeps booting its running software until it is activated (activate-software.ts). The
// running bank is never touched; the bank being written is recorded as invalid until its image is whole
// on disk, so a power cut mid-write leaves it unbootable rather than half-trusted.
import { ImageError, type ImageFailure, type ImageHeader } from '../../protocol/image.ts';
import { otherBank } from '../device-state.ts';
import type { FailCause } from '../../protocol/vocabulary.ts';
import { OperationFailure, type OperationContext } from './context.ts';
import { downloadFile } from './file-transfer.ts';

const failCauseOfImage: Record<ImageFailure, FailCause> = {
  truncated: 'imageCorrupt',
  notAnImage: 'imageCorrupt',
  corrupt: 'imageCorrupt',
  badSignature: 'imageBadSignature',
  untrustedKey: 'imageBadSignature',
  wrongModel: 'imageWrongModel',
};

export async function downloadSoftware(context: OperationContext): Promise<void> {
  const header = await writeInactiveBank(context, true);
  context.step(95);

  if (!context.rebootRequired) {
    const result = await context.boot('commanded', 0);
    if (!result.markedBooted) {
      throw new OperationFailure(
        'bootFailed',
        `version ${header.version} did not start (${result.failure}); still running ${context.bank(result.booted).version}`,
      );
    }
  }
}

export async function stageSoftware(context: OperationContext): Promise<void> {
  await writeInactiveBank(context, false);
  context.step(95);
}

/** Downloads, verifies and writes the image into the inactive bank; `markForBoot`: the next boot starts it. */
async function writeInactiveBank(context: OperationContext, markForBoot: boolean): Promise<ImageHeader> {
  const image = await downloadFile(context, { from: 0, to: 70 }, context.maxImageBytes);
  try {
    return await verifyAndWrite(context, image, markForBoot);
  } finally {
    // The image is in the bank or refused: nothing reads these bytes again, the next download may reuse them.
    context.transfer.release?.(image);
  }
}

async function verifyAndWrite(context: OperationContext, image: Buffer, markForBoot: boolean): Promise<ImageHeader> {
  if (context.faults.takeCorruptDownload()) flipBytes(image);
  const header = verify(context, image);
  context.step(75);

  const target = otherBank(context.state().activeBank);
  await context.updateState((state) => {
    state.banks[target] = { state: 'invalid', fresh: false };
    if (state.nextBootBank === target) state.nextBootBank = state.activeBank;
  });
  context.step(80);
  try {
    await context.writeBank(target, image, header);
  } catch (error) {
    context.checkPower();
    throw new OperationFailure('writeFailed', `cannot write ${target}: ${(error as Error).message}`);
  }
  context.step(90);
  await context.updateState((state) => {
    state.banks[target] = { state: 'valid', fresh: true };
    if (markForBoot) {
      state.nextBootBank = target;
      state.bootAttempts = 0;
    }
  });
  return header;
}

export function verify(context: OperationContext, image: Buffer): ImageHeader {
  try {
    return context.verifyImage(image);
  } catch (error) {
    if (error instanceof ImageError) throw new OperationFailure(failCauseOfImage[error.reason], error.message);
    throw error;
  }
}

/** Damage like a bad link would: a few bytes spread over the image, header and payload alike. */
function flipBytes(image: Buffer): void {
  const flips = Math.min(8, image.length);
  for (let i = 0; i < flips; i++) {
    const at = Math.floor(((i + 0.5) * image.length) / flips);
    image[at] = (image[at] ?? 0) ^ 0xff;
  }
}
