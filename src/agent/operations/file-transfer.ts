// Moving an operation's file: builds the transfer target from the request, turns byte counts into
// row progress (one step per tenth of the file), applies the transfer faults, and turns transfer
// errors into the row's fail cause.
import { TransferError, type TransferTarget } from '../../protocol/transfer-contract.ts';
import { OperationFailure, type OperationContext } from './context.ts';

/** The share of an operation's progress its transfer covers. */
export interface ProgressSpan {
  from: number;
  to: number;
}

const wellKnownPorts = { tftp: 69, ftp: 21 } as const;
const steps = 10;

export async function downloadFile(context: OperationContext, span: ProgressSpan, maxBytes: number): Promise<Buffer> {
  refuseIfFaulted(context);
  const paced = context.faults.slowsTransfers();
  const data = await transferring(context, (target) =>
    context.transfer.download({ ...target, maxBytes, onProgress: paced ? undefined : progressReporter(context, span) }),
  );
  // The clients move bytes as fast as loopback allows; a slow link is played out by pacing the
  // device's progress through what arrived, which is what a manager sees of a slow device.
  if (paced) await pace(context, span, data.length);
  context.step(span.to);
  return data;
}

export async function uploadFile(context: OperationContext, span: ProgressSpan, data: Buffer): Promise<void> {
  refuseIfFaulted(context);
  const paced = context.faults.slowsTransfers();
  if (paced) await pace(context, { from: span.from, to: span.from + ((span.to - span.from) * (steps - 1)) / steps }, data.length, steps - 1);
  await transferring(context, (target) => context.transfer.upload({ ...target, onProgress: paced ? undefined : progressReporter(context, span) }, data));
  context.step(span.to);
}

function refuseIfFaulted(context: OperationContext): void {
  const cause = context.faults.takeForcedFailure(context.request.type);
  if (cause !== undefined) throw new OperationFailure(cause, `injected fault: ${context.request.type} fails with ${cause}`);
}

async function transferring<T>(context: OperationContext, run: (target: TransferTarget) => Promise<T>): Promise<T> {
  const { request } = context;
  const server = request.server!;
  const target: TransferTarget = {
    protocol: request.protocol,
    server: server.address,
    port: server.port === 0 ? wellKnownPorts[request.protocol] : server.port,
    file: request.fileName,
    localAddress: context.address,
    signal: context.signal,
    ...(request.protocol === 'ftp' && { username: request.username, password: request.password }),
  };
  try {
    return await run(target);
  } catch (error) {
    context.checkPower();
    if (error instanceof TransferError) throw new OperationFailure(error.failure, error.message);
    throw new OperationFailure('unknown', `transfer failed: ${(error as Error).message}`);
  } finally {
    context.checkPower();
  }
}

function progressReporter(context: OperationContext, span: ProgressSpan): (bytes: number, total: number | undefined) => void {
  let reportedTenths = 0;
  return (bytes, total) => {
    if (!total) return;
    const tenths = Math.min(steps, Math.floor((bytes * steps) / total));
    if (tenths <= reportedTenths) return;
    reportedTenths = tenths;
    try {
      context.step(span.from + ((span.to - span.from) * tenths) / steps);
    } catch {
      // A power cut inside the client's callback: the context's signal has aborted the transfer,
      // and the transfer's caller reports the power loss.
    }
  };
}

async function pace(context: OperationContext, span: ProgressSpan, bytes: number, count = steps): Promise<void> {
  const stepBytes = Math.ceil(bytes / steps);
  for (let step = 1; step <= count; step++) {
    await context.sleep(context.faults.transferStepDelayMs(stepBytes));
    context.step(span.from + ((span.to - span.from) * step) / count);
  }
}
