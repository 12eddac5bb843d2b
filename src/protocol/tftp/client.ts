// TFTP client: read (RRQ) and write (WRQ) with options, falling back to plain RFC 1350 when the
// server ignores options or refuses them with error 8. Every packet leaves from `localAddress`.
import type dgram from 'node:dgram';
import { TransferError, type TransferTarget } from '../transfer-contract.ts';
import { BlockReceiver } from './block-receiver.ts';
import { BlockSender } from './block-sender.ts';
import { MemorySink, type BlockSink } from './block-sink.ts';
import { BufferBlockSource, type BlockSource } from './block-source.ts';
import { TftpFailure, errorFromPeer, toTransferError } from './errors.ts';
import { PLAIN_RFC1350, acceptOack, proposalToOptions, type OptionProposal, type TransferParameters } from './options.ts';
import { DATA_HEADER_BYTES, Opcode, TftpErrorCode, TftpParseError, encodeAck, encodeError, encodeRequest, parsePacket, type TftpPacket } from './packet.ts';
import { DEFAULT_RETRY_POLICY, RetransmitTimer, policyWithTimeout, type RetryPolicy } from './retransmit-timer.ts';
import { answerStranger, assertIPAddress, bindUdpSocket, closeQuietly, peerLabel, samePeer, sendTo, type Peer } from './transfer-socket.ts';

export const DEFAULT_CLIENT_BLKSIZE = 1468;
export const DEFAULT_CLIENT_WINDOWSIZE = 16;

export interface TftpClientOptions {
  server: string;
  port: number;
  /** File name as the server knows it. */
  file: string;
  /** Address the client socket binds to (and so sends from). */
  localAddress?: string;
  /** Proposed block size (default 1468, a full Ethernet frame); ignored when useOptions is false. */
  blksize?: number;
  /** Proposed window size (RFC 7440, default 16). */
  windowsize?: number;
  /** Proposed retransmission timeout in seconds (RFC 2349); not proposed by default. */
  timeoutSeconds?: number;
  /** Propose tsize (default true). */
  tsize?: boolean;
  /** false: plain RFC 1350, no options at all. */
  useOptions?: boolean;
  retry?: Partial<RetryPolicy>;
  onProgress?: (bytes: number, total: number | undefined) => void;
  signal?: AbortSignal;
  /** Reads only: refuse a file larger than this. */
  maxBytes?: number;
}

export interface TftpClientResult {
  bytes: number;
  /** What was used after negotiation (shows whether options were accepted). */
  parameters: TransferParameters;
}

type Direction = 'rrq' | 'wrq';

type Engine = { kind: 'receiver'; receiver: BlockReceiver } | { kind: 'sender'; sender: BlockSender };

/** One client transfer: request, negotiation, then a sender or receiver on the server's TID. */
class ClientTransfer {
  private peer: Peer | undefined;
  private engine: Engine | undefined;
  private proposal: OptionProposal | undefined;
  private requestTimer: RetransmitTimer | undefined;
  private readonly retry: RetryPolicy;
  private readonly label: string;
  private settle!: { resolve: (result: TftpClientResult) => void; reject: (error: unknown) => void };
  private finished = false;
  readonly result: Promise<TftpClientResult>;

  constructor(
    private readonly socket: dgram.Socket,
    private readonly direction: Direction,
    private readonly options: TftpClientOptions,
    private readonly data: { sink: BlockSink } | { source: BlockSource },
  ) {
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.label = `${options.server}:${options.port}`;
    this.result = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    socket.on('message', (message, rinfo) => this.onMessage(message, rinfo));
    socket.on('error', (error) => this.fail(new TransferError('serverUnreachable', `TFTP socket error: ${error.message}`)));
  }

  start(): void {
    const { options } = this;
    this.proposal = options.useOptions === false ? undefined : this.initialProposal();
    this.sendRequest();
  }

  private initialProposal(): OptionProposal {
    const { options } = this;
    const size = 'source' in this.data ? this.data.source.size : 0;
    return {
      blksize: options.blksize ?? DEFAULT_CLIENT_BLKSIZE,
      windowsize: options.windowsize ?? DEFAULT_CLIENT_WINDOWSIZE,
      ...(options.timeoutSeconds !== undefined ? { timeoutSeconds: options.timeoutSeconds } : {}),
      ...(options.tsize !== false && size !== undefined ? { tsize: size } : {}),
    };
  }

  /** Sends the request and repeats it until a first answer arrives. */
  private sendRequest(): void {
    const request = encodeRequest({
      type: this.direction,
      filename: this.options.file,
      mode: 'octet',
      options: this.proposal === undefined ? [] : proposalToOptions(this.proposal),
    });
    const toServer: Peer = { address: this.options.server, port: this.options.port };
    this.requestTimer?.stop();
    this.requestTimer = new RetransmitTimer(
      this.retry,
      () => sendTo(this.socket, request, toServer),
      () =>
        this.fail(
          new TransferError('serverUnreachable', `no answer from TFTP server ${this.label} after ${this.retry.retries} retransmissions of the request`),
        ),
    );
    sendTo(this.socket, request, toServer);
    this.requestTimer.arm();
  }

  private send = (packet: Buffer): void => {
    if (this.peer !== undefined) sendTo(this.socket, packet, this.peer);
  };

  private onMessage(message: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.finished && this.engine?.kind !== 'receiver') return;
    if (this.peer === undefined) {
      if (rinfo.address !== this.options.server) return;
      this.peer = { address: rinfo.address, port: rinfo.port };
    } else if (!samePeer(rinfo, this.peer)) {
      answerStranger(this.socket, rinfo);
      return;
    }
    const engine = this.engine;
    if (engine?.kind === 'receiver' && message.length >= DATA_HEADER_BYTES && message.readUInt16BE(0) === Opcode.data) {
      // The bulk of a read: a DATA block goes straight to the receiver, without a parsed packet object.
      engine.receiver.handleData(message.readUInt16BE(2), message.subarray(DATA_HEADER_BYTES));
      return;
    }
    let packet: TftpPacket;
    try {
      packet = parsePacket(message);
    } catch (error) {
      if (!(error instanceof TftpParseError)) throw error;
      this.fail(new TftpFailure('protocolError', `malformed packet from ${peerLabel(this.peer)}: ${error.message}`, TftpErrorCode.illegalOperation));
      return;
    }
    if (this.engine === undefined) this.onFirstAnswer(packet);
    else this.onTransferPacket(this.engine, packet);
  }

  private onFirstAnswer(packet: TftpPacket): void {
    this.requestTimer?.stop();
    if (packet.type === 'error') {
      if (packet.code === TftpErrorCode.optionRefused && this.proposal !== undefined) {
        // The server refused our options: ask again the RFC 1350 way, from the same TID.
        this.proposal = undefined;
        this.peer = undefined;
        this.sendRequest();
        return;
      }
      this.fail(errorFromPeer(peerLabel(this.peer as Peer), packet.code, packet.message), false);
      return;
    }
    try {
      if (packet.type === 'oack') {
        if (this.proposal === undefined)
          throw new TftpFailure('protocolError', 'server sent an OACK to a request without options', TftpErrorCode.illegalOperation);
        const parameters = acceptOack(this.proposal, packet.options);
        this.begin(parameters, true);
      } else if (packet.type === 'data' && this.direction === 'rrq') {
        this.begin(PLAIN_RFC1350, false);
        this.onTransferPacket(this.engine as Engine, packet);
      } else if (packet.type === 'ack' && this.direction === 'wrq' && packet.block === 0) {
        this.begin(PLAIN_RFC1350, false);
      } else {
        throw new TftpFailure('protocolError', `unexpected ${packet.type.toUpperCase()} in answer to the request`, TftpErrorCode.illegalOperation);
      }
    } catch (error) {
      this.fail(error);
    }
  }

  private begin(parameters: TransferParameters, negotiated: boolean): void {
    const { options } = this;
    const { maxBytes } = options;
    if (maxBytes !== undefined && parameters.tsize !== undefined && parameters.tsize > maxBytes && this.direction === 'rrq') {
      throw new TftpFailure('tooLarge', `file of ${parameters.tsize} bytes exceeds the limit of ${maxBytes}`, TftpErrorCode.optionRefused);
    }
    const retry = policyWithTimeout(this.retry, parameters.timeoutSeconds);
    const total = 'source' in this.data ? this.data.source.size : parameters.tsize;
    const onProgress = options.onProgress === undefined ? undefined : (bytes: number) => options.onProgress?.(bytes, total);
    const common = { blksize: parameters.blksize, windowsize: parameters.windowsize, retry, send: this.send, ...(onProgress ? { onProgress } : {}) };
    let done: Promise<number>;
    if ('sink' in this.data) {
      if (parameters.tsize !== undefined) this.data.sink.expect?.(parameters.tsize);
      const receiver = new BlockReceiver({
        ...common,
        sink: this.data.sink,
        ...(negotiated ? { opening: encodeAck(0) } : {}),
        ...(maxBytes !== undefined ? { maxBytes } : {}),
      });
      this.engine = { kind: 'receiver', receiver };
      done = receiver.start();
    } else {
      const sender = new BlockSender({ ...common, source: this.data.source });
      this.engine = { kind: 'sender', sender };
      done = sender.start();
    }
    done.then(
      (bytes) => this.succeed({ bytes, parameters }),
      (error: unknown) => this.fail(error),
    );
  }

  private onTransferPacket(engine: Engine, packet: TftpPacket): void {
    if (packet.type === 'data' && engine.kind === 'receiver') engine.receiver.handleData(packet.block, packet.data);
    else if (packet.type === 'ack' && engine.kind === 'sender') engine.sender.handleAck(packet.block);
    else if (packet.type === 'error') this.fail(errorFromPeer(peerLabel(this.peer as Peer), packet.code, packet.message), false);
    else if (packet.type === 'oack' || (packet.type === 'ack' && packet.block === 0))
      return; // a repeated opening
    else this.fail(new TftpFailure('protocolError', `unexpected ${packet.type.toUpperCase()} during the transfer`, TftpErrorCode.illegalOperation));
  }

  private succeed(result: TftpClientResult): void {
    if (this.finished) return;
    this.finished = true;
    this.settle.resolve(result);
  }

  /** Ends the transfer, telling the server why unless it told us (or does not know us yet). */
  fail(error: unknown, tellPeer = true): void {
    if (this.finished) return;
    this.finished = true;
    this.requestTimer?.stop();
    const engine = this.engine;
    if (engine?.kind === 'receiver') engine.receiver.fail(error);
    else if (engine?.kind === 'sender') engine.sender.fail(error);
    if (tellPeer && this.peer !== undefined) {
      const code = error instanceof TftpFailure ? error.peerCode : TftpErrorCode.notDefined;
      if (code !== undefined) this.send(encodeError(code, error instanceof Error ? error.message : String(error)));
    }
    this.settle.reject(toTransferError(error));
  }
}

async function runTransfer(direction: Direction, options: TftpClientOptions, data: { sink: BlockSink } | { source: BlockSource }): Promise<TftpClientResult> {
  assertIPAddress(options.server, 'TFTP server');
  if (options.signal?.aborted) throw new TransferError('aborted', 'transfer aborted before it started');
  let socket: dgram.Socket;
  try {
    socket = await bindUdpSocket(options.localAddress, 0, options.server);
  } catch (error) {
    throw new TransferError('serverUnreachable', `cannot bind a UDP socket on ${options.localAddress ?? 'any address'}: ${(error as Error).message}`);
  }
  const transfer = new ClientTransfer(socket, direction, options, data);
  const onAbort = (): void => transfer.fail(new TftpFailure('aborted', 'transfer aborted', TftpErrorCode.notDefined));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // Inside the try: a request that cannot be encoded (a name with a NUL) must still close the socket.
    transfer.start();
    return await transfer.result;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (direction === 'rrq') {
      // Stay a moment for a repeated last DATA (our final ACK lost) so the server ends cleanly too.
      setTimeout(() => closeQuietly(socket), options.retry?.timeoutMs ?? DEFAULT_RETRY_POLICY.timeoutMs).unref();
      socket.unref();
    } else {
      closeQuietly(socket);
    }
  }
}

/** Reads `options.file` from the server into `sink`. The sink is finished (or aborted) here. */
export async function tftpReceive(options: TftpClientOptions, sink: BlockSink): Promise<TftpClientResult> {
  try {
    const result = await runTransfer('rrq', options, { sink });
    await sink.finish();
    return result;
  } catch (error) {
    await sink.abort();
    throw error;
  }
}

/** Writes the bytes of `source` to `options.file` on the server. */
export async function tftpSend(options: TftpClientOptions, source: BlockSource): Promise<TftpClientResult> {
  return runTransfer('wrq', options, { source });
}

function clientOptions(target: TransferTarget): TftpClientOptions {
  return {
    server: target.server,
    port: target.port,
    file: target.file,
    ...(target.localAddress !== undefined ? { localAddress: target.localAddress } : {}),
    ...(target.onProgress !== undefined ? { onProgress: target.onProgress } : {}),
    ...(target.signal !== undefined ? { signal: target.signal } : {}),
    ...(target.maxBytes !== undefined ? { maxBytes: target.maxBytes } : {}),
  };
}

export async function tftpGet(target: TransferTarget): Promise<Buffer> {
  const sink = new MemorySink();
  await tftpReceive(clientOptions(target), sink);
  return sink.contents();
}

export async function tftpPut(target: TransferTarget, data: Buffer): Promise<void> {
  await tftpSend(clientOptions(target), new BufferBlockSource(data));
}
