// The device's FTP client: one control connection per transfer, per-transfer credentials, every
// socket leaving from the device's own address. Failures come out as TransferError.
import { isIP, isIPv6 } from 'node:net';
import { Readable } from 'node:stream';
import { Client, FTPError } from 'basic-ftp';
import { TransferError, type TransferTarget } from '../transfer-contract.ts';
import { bindClientSocketsTo } from './local-address.ts';
import { BoundedSink } from './bounded-sink.ts';
import { toTransferError, type FtpDirection } from './errors.ts';
import { hasControlCharacter } from '../../common/text.ts';

export interface FtpClientOptions {
  /** Longest wait for the server on the control or data connection, in milliseconds. */
  timeoutMs?: number;
}

const defaultTimeoutMs = 30_000;

export async function ftpGet(target: TransferTarget, options: FtpClientOptions = {}): Promise<Buffer> {
  return inSession(target, 'download', options, async (client) => {
    const total = await announcedSize(client, target.file);
    if (total !== undefined && target.maxBytes !== undefined && total > target.maxBytes) {
      throw new TransferError('tooLarge', `${target.file} is ${total} bytes, more than the ${target.maxBytes} allowed`);
    }
    const sink = new BoundedSink(target.file, target.maxBytes);
    client.trackProgress((info) => target.onProgress?.(info.bytes, total));
    await client.downloadTo(sink, target.file);
    if (total !== undefined && sink.bytes !== total) {
      throw new TransferError('protocolError', `${target.file}: server announced ${total} bytes but sent ${sink.bytes}`);
    }
    return sink.contents();
  });
}

// A plain STOR: the write goes straight to the issued name because servers that hand out
// single-use names (ours) allow no second name to rename from; such a server commits the file
// atomically itself. The stored size is read back where the server tells it.
export async function ftpPut(target: TransferTarget, data: Buffer, options: FtpClientOptions = {}): Promise<void> {
  if (target.maxBytes !== undefined && data.length > target.maxBytes) {
    throw new TransferError('tooLarge', `${target.file}: ${data.length} bytes to send, more than the ${target.maxBytes} allowed`);
  }
  await inSession(target, 'upload', options, async (client) => {
    client.trackProgress((info) => target.onProgress?.(info.bytes, data.length));
    await client.uploadFrom(Readable.from([data]), target.file);
    const stored = await announcedSize(client, target.file).catch(() => undefined);
    if (stored !== undefined && stored !== data.length) {
      throw new TransferError('protocolError', `${target.file}: server stored ${stored} of ${data.length} bytes`);
    }
  });
}

async function inSession<T>(target: TransferTarget, direction: FtpDirection, options: FtpClientOptions, work: (client: Client) => Promise<T>): Promise<T> {
  checkTarget(target);
  const where = `${target.server}:${target.port}`;
  const aborted = () => new TransferError('aborted', `FTP ${direction} of ${target.file} with ${where} aborted`);
  if (target.signal?.aborted) throw aborted();
  const client = new Client(options.timeoutMs ?? defaultTimeoutMs);
  if (target.localAddress !== undefined) bindClientSocketsTo(client, target.localAddress);
  const stop = () => client.close();
  target.signal?.addEventListener('abort', stop, { once: true });
  try {
    await client.access({ host: target.server, port: target.port, user: target.username, password: target.password });
    return await work(client);
  } catch (error) {
    if (target.signal?.aborted) throw aborted();
    throw toTransferError(error, direction, where);
  } finally {
    target.signal?.removeEventListener('abort', stop);
    client.trackProgress();
    client.close();
  }
}

/** The size the server announces for a file; undefined when it does not implement SIZE. */
async function announcedSize(client: Client, file: string): Promise<number | undefined> {
  try {
    return await client.size(file);
  } catch (error) {
    // 550 is a real answer (no such file); 500/502/504 only mean SIZE is not spoken here.
    if (error instanceof FTPError && error.code !== 550) return undefined;
    throw error;
  }
}

// Control characters in anything that goes into a command line would let a caller smuggle
// extra FTP commands (CR LF) into the session.
function checkTarget(target: TransferTarget): void {
  const problems: string[] = [];
  if (isIP(target.server) === 0) problems.push(`server ${JSON.stringify(target.server)} is not an IPv4 or IPv6 address`);
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) problems.push(`port ${target.port} is not 1-65535`);
  if (target.file === '' || hasControlCharacter(target.file)) problems.push(`file name ${JSON.stringify(target.file)} is empty or has control characters`);
  for (const [name, value] of [
    ['username', target.username],
    ['password', target.password],
  ] as const) {
    if (value !== undefined && hasControlCharacter(value)) problems.push(`${name} has control characters`);
  }
  if (target.localAddress !== undefined && (isIP(target.localAddress) === 0 || isIPv6(target.localAddress) !== isIPv6(target.server))) {
    problems.push(`local address ${JSON.stringify(target.localAddress)} is not an address of the server's family`);
  }
  if (target.maxBytes !== undefined && !(Number.isSafeInteger(target.maxBytes) && target.maxBytes >= 0)) {
    problems.push(`maxBytes ${target.maxBytes} is not a non-negative integer`);
  }
  if (problems.length > 0) throw new TransferError('protocolError', `bad FTP transfer target: ${problems.join('; ')}`);
}
