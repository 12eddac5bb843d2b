// One transfer on the server: its own socket (TID), a read from the root or a write to an issued
// name, and the record of what moved. Failures are answered to the peer with the right ERROR code.
import { randomBytes } from 'node:crypto';
import type dgram from 'node:dgram';
import { link, unlink } from 'node:fs/promises';
import path from 'node:path';
import { TransferError } from '../transfer-contract.ts';
import { BlockReceiver } from './block-receiver.ts';
import { BlockSender } from './block-sender.ts';
import { FileSink } from './block-sink.ts';
import type { DigestedBlockSource } from './block-source.ts';
import { TftpFailure, errorFromPeer, toTransferError } from './errors.ts';
import { negotiateAsServer, type ServerOptionLimits } from './options.ts';
import { Opcode, TftpErrorCode, TftpParseError, encodeError, encodeAck, encodeOack, parsePacket, type TftpPacket, type TftpRequest } from './packet.ts';
import type { ReadCache } from './read-cache.ts';
import { policyWithTimeout, type RetryPolicy } from './retransmit-timer.ts';
import { resolveReadPath, pathInsideRoot } from './safe-path.ts';
import { answerStranger, peerLabel, samePeer, sendTo, type Peer } from './transfer-socket.ts';

export type TransferDirection = 'read' | 'write';

/** A transfer that completed: emitted by the server so a manager knows, e.g., that a backup arrived. */
export interface TftpTransferRecord {
  name: string;
  direction: TransferDirection;
  bytes: number;
  sha256: string;
  peer: Peer;
  durationMs: number;
}

export interface SessionSettings {
  /** The server root, as a realpath. */
  root: string;
  limits: ServerOptionLimits;
  retry: RetryPolicy;
  maxUploadBytes: number;
  /** Whether `name` was issued for writing (consumes it). */
  takeWriteName: (name: string) => boolean;
  /** Where files being read come from: memory for those read before and unchanged. */
  readCache: ReadCache;
}

/** The packets a session's engine wants: ACKs for a sender, DATA for a receiver. */
type Engine = { kind: 'sender'; sender: BlockSender } | { kind: 'receiver'; receiver: BlockReceiver };

export class ServerSession {
  private engine: Engine | undefined;
  private abortedWith: TftpFailure | undefined;
  private readonly startedAt = Date.now();

  constructor(
    private readonly socket: dgram.Socket,
    private readonly peer: Peer,
    private readonly request: TftpRequest,
    private readonly settings: SessionSettings,
  ) {
    socket.on('message', (message, rinfo) => this.onMessage(message, rinfo));
  }

  /** Runs the transfer to its end; rejects with a TransferError after telling the peer why. */
  async run(): Promise<TftpTransferRecord> {
    try {
      return this.request.type === 'rrq' ? await this.serveRead() : await this.serveWrite();
    } catch (error) {
      const code = error instanceof TftpFailure ? error.peerCode : error instanceof TransferError ? undefined : TftpErrorCode.notDefined;
      const failure = toTransferError(error);
      if (code !== undefined) this.send(encodeError(code, failure.message));
      throw failure;
    }
  }

  private send = (packet: Buffer): void => sendTo(this.socket, packet, this.peer);

  private record(direction: TransferDirection, bytes: number, sha256: string): TftpTransferRecord {
    return { name: this.request.filename, direction, bytes, sha256, peer: this.peer, durationMs: Date.now() - this.startedAt };
  }

  private async serveRead(): Promise<TftpTransferRecord> {
    const filePath = await resolveReadPath(this.settings.root, this.request.filename);
    const source = await openForRead(this.settings.readCache, filePath, this.request.filename);
    try {
      const { parameters, reply } = negotiateAsServer(this.request.options, this.settings.limits, source.size);
      const sender = new BlockSender({
        blksize: parameters.blksize,
        windowsize: parameters.windowsize,
        retry: policyWithTimeout(this.settings.retry, parameters.timeoutSeconds),
        source,
        send: this.send,
        ...(reply.length > 0 ? { opening: encodeOack(reply) } : {}),
      });
      this.attach({ kind: 'sender', sender });
      const bytes = await sender.start();
      return this.record('read', bytes, source.digest());
    } finally {
      await source.close();
    }
  }

  private async serveWrite(): Promise<TftpTransferRecord> {
    const { filename } = this.request;
    const finalPath = pathInsideRoot(this.settings.root, filename);
    if (!this.settings.takeWriteName(filename)) {
      throw new TftpFailure('accessDenied', `"${filename}" refused: writes go only to names this server issued, once`, TftpErrorCode.accessViolation);
    }
    const { parameters, reply } = negotiateAsServer(this.request.options, this.settings.limits, undefined);
    const { maxUploadBytes } = this.settings;
    if (parameters.tsize !== undefined && parameters.tsize > maxUploadBytes) {
      throw new TftpFailure('tooLarge', `upload of ${parameters.tsize} bytes exceeds the limit of ${maxUploadBytes}`, TftpErrorCode.diskFull);
    }
    const tempPath = path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.${randomBytes(6).toString('hex')}.part`);
    const sink = await FileSink.create(tempPath);
    try {
      const receiver = new BlockReceiver({
        blksize: parameters.blksize,
        windowsize: parameters.windowsize,
        retry: policyWithTimeout(this.settings.retry, parameters.timeoutSeconds),
        sink,
        send: this.send,
        opening: reply.length > 0 ? encodeOack(reply) : encodeAck(0),
        maxBytes: maxUploadBytes,
        holdFinalAck: true,
      });
      this.attach({ kind: 'receiver', receiver });
      const bytes = await receiver.start();
      await sink.finish();
      // link refuses to replace an existing file, unlike rename.
      await link(tempPath, finalPath);
      await unlink(tempPath);
      receiver.confirmLast();
      return this.record('write', bytes, sink.digest());
    } catch (error) {
      await sink.abort();
      throw error;
    }
  }

  private onMessage(message: Buffer, rinfo: dgram.RemoteInfo): void {
    if (!samePeer(rinfo, this.peer)) {
      answerStranger(this.socket, rinfo);
      return;
    }
    const engine = this.engine;
    if (engine === undefined) return; // still opening the file; the peer will retransmit
    // The packet of nearly every round trip of a read, an ACK, is read in place without a parse object.
    if (engine.kind === 'sender' && message.length === 4 && message[0] === 0 && message[1] === Opcode.ack) {
      engine.sender.handleAck(message.readUInt16BE(2));
      return;
    }
    let packet: TftpPacket;
    try {
      packet = parsePacket(message);
    } catch (error) {
      if (!(error instanceof TftpParseError)) throw error;
      this.abort(new TftpFailure('protocolError', `malformed packet from ${peerLabel(this.peer)}: ${error.message}`, TftpErrorCode.illegalOperation));
      return;
    }
    if (packet.type === 'ack' && engine.kind === 'sender') engine.sender.handleAck(packet.block);
    else if (packet.type === 'data' && engine.kind === 'receiver') engine.receiver.handleData(packet.block, packet.data);
    else if (packet.type === 'error') this.abort(errorFromPeer(peerLabel(this.peer), packet.code, packet.message), false);
    else if (!(engine.kind === 'receiver' && engine.receiver.complete)) {
      this.abort(new TftpFailure('protocolError', `unexpected ${packet.type.toUpperCase()} packet during a transfer`, TftpErrorCode.illegalOperation));
    }
  }

  private attach(engine: Engine): void {
    this.engine = engine;
    if (this.abortedWith !== undefined) this.abort(this.abortedWith);
  }

  /** Ends the transfer; the failure reaches the peer through run()'s handler unless `tellPeer` is false. */
  abort(error: TransferError | TftpFailure, tellPeer = true): void {
    const peerCode = error instanceof TftpFailure ? error.peerCode : TftpErrorCode.notDefined;
    const failure = new TftpFailure(error.failure, error.message, tellPeer ? peerCode : undefined);
    this.abortedWith = failure;
    if (this.engine?.kind === 'sender') this.engine.sender.fail(failure);
    else if (this.engine?.kind === 'receiver') this.engine.receiver.fail(failure);
  }
}

async function openForRead(cache: ReadCache, filePath: string, name: string): Promise<DigestedBlockSource> {
  try {
    return await cache.open(filePath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TftpFailure('fileNotFound', `"${name}" not found`, TftpErrorCode.fileNotFound);
    throw new TftpFailure('accessDenied', `"${name}" cannot be read: ${code ?? (error as Error).message}`, TftpErrorCode.accessViolation);
  }
}
