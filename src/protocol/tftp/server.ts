// TftpServer: serves files under a root, read-only except for upload names it issued itself.
// Requests arrive on one port bound to one address; each transfer then runs on its own ephemeral
// socket on the same address (its TID), so many transfers proceed side by side.
import { EventEmitter } from 'node:events';
import type dgram from 'node:dgram';
import { realpath } from 'node:fs/promises';
import { TransferError } from '../transfer-contract.ts';
import { TftpErrorCode, TftpParseError, encodeError, parsePacket, Opcode, type TftpPacket, type TftpRequest } from './packet.ts';
import { MAX_BLKSIZE } from './options.ts';
import { ReadCache } from './read-cache.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retransmit-timer.ts';
import { ServerSession, type SessionSettings, type TftpTransferRecord, type TransferDirection } from './server-session.ts';
import { bindUdpSocket, closeQuietly, peerLabel, sendTo, type Peer } from './transfer-socket.ts';
import { WriteNameRegistry } from './write-names.ts';

export type { TftpTransferRecord, TransferDirection } from './server-session.ts';

export interface TftpServerOptions {
  /** Directory served; must exist. */
  root: string;
  /** The only address bound (default 127.0.0.1). */
  address?: string;
  /** Request port; 0 (default) lets the system choose, see `port` after start(). */
  port?: number;
  /** Largest upload accepted (default 64 MiB); beyond it the upload fails with error 3 and leaves nothing. */
  maxUploadBytes?: number;
  /** How long an issued write name stays valid (default: until used). */
  writeNameTtlMs?: number;
  /** Retransmission policy; a client's timeout option overrides the first delay. */
  retry?: Partial<RetryPolicy>;
  maxBlksize?: number;
  maxWindowsize?: number;
  /** Transfers running at once; requests beyond it are refused with a "busy" error. */
  maxTransfers?: number;
  /** Memory for files served often (default 256 MiB; 0 reads every transfer from disk). */
  readCacheBytes?: number;
}

export interface TftpTransferFailure {
  name: string;
  direction: TransferDirection;
  peer: Peer;
  failure: TransferError['failure'];
  message: string;
}

interface TftpServerEvents {
  transfer: [record: TftpTransferRecord];
  transferFailed: [failure: TftpTransferFailure];
}

export class TftpServer extends EventEmitter<TftpServerEvents> {
  readonly address: string;
  private requestSocket: dgram.Socket | undefined;
  private readonly sessions = new Map<string, { session: ServerSession; socket: dgram.Socket }>();
  private readonly lingering = new Set<dgram.Socket>();
  private readonly writeNames: WriteNameRegistry;
  private settings: SessionSettings | undefined;
  private readonly maxTransfers: number;

  constructor(private readonly options: TftpServerOptions) {
    super();
    this.address = options.address ?? '127.0.0.1';
    this.writeNames = new WriteNameRegistry(options.writeNameTtlMs);
    this.maxTransfers = options.maxTransfers ?? 64;
  }

  /** The request port, once started. */
  get port(): number {
    if (this.requestSocket === undefined) throw new Error('TFTP server not started');
    return this.requestSocket.address().port;
  }

  get activeTransfers(): number {
    return this.sessions.size;
  }

  async start(): Promise<void> {
    if (this.requestSocket !== undefined) throw new Error('TFTP server already started');
    const root = await realpath(this.options.root);
    this.settings = {
      root,
      limits: { maxBlksize: this.options.maxBlksize ?? MAX_BLKSIZE, maxWindowsize: this.options.maxWindowsize ?? 256 },
      retry: { ...DEFAULT_RETRY_POLICY, ...this.options.retry },
      maxUploadBytes: this.options.maxUploadBytes ?? 64 * 1024 * 1024,
      takeWriteName: (name) => this.writeNames.take(name),
      readCache: new ReadCache({ maxBytes: this.options.readCacheBytes }),
    };
    const socket = await bindUdpSocket(this.address, this.options.port ?? 0);
    socket.on('message', (message, rinfo) => this.onRequest(socket, message, rinfo));
    socket.on('error', () => undefined); // a send to a vanished peer must not take the server down
    this.requestSocket = socket;
  }

  /** A fresh single-use name a device may upload to (e.g. a configuration backup). */
  issueWriteName(hint?: string, ttlMs?: number): string {
    return this.writeNames.issue(hint, ttlMs ?? this.options.writeNameTtlMs);
  }

  /** Accepts uploads to a name issued before a restart, which its owner kept. */
  acceptWriteName(name: string, ttlMs?: number): void {
    this.writeNames.accept(name, ttlMs ?? this.options.writeNameTtlMs);
  }

  revokeWriteName(name: string): void {
    this.writeNames.revoke(name);
  }

  /** Stops listening and ends every transfer (their peers are told). */
  async close(): Promise<void> {
    if (this.requestSocket !== undefined) closeQuietly(this.requestSocket);
    this.requestSocket = undefined;
    for (const { session } of this.sessions.values()) {
      session.abort(new TransferError('aborted', 'TFTP server shutting down'));
    }
    for (const socket of this.lingering) closeQuietly(socket);
    this.lingering.clear();
    // Aborted sessions finish within a few ticks (closing their files); bounded in case one cannot.
    for (let waited = 0; this.sessions.size > 0 && waited < 200; waited += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  private onRequest(socket: dgram.Socket, message: Buffer, rinfo: dgram.RemoteInfo): void {
    const peer: Peer = { address: rinfo.address, port: rinfo.port };
    let packet: TftpPacket;
    try {
      packet = parsePacket(message);
    } catch (error) {
      if (!(error instanceof TftpParseError)) throw error;
      // Never answer what claims to be an ERROR: two confused peers must not bounce errors forever.
      if (message.length < 2 || message.readUInt16BE(0) !== Opcode.error) {
        sendTo(socket, encodeError(TftpErrorCode.illegalOperation, `malformed request: ${error.message}`), peer);
      }
      return;
    }
    if (packet.type === 'error') return;
    if (packet.type !== 'rrq' && packet.type !== 'wrq') {
      sendTo(socket, encodeError(TftpErrorCode.illegalOperation, `expected a read or write request, got ${packet.type.toUpperCase()}`), peer);
      return;
    }
    if (this.sessions.has(peerLabel(peer))) return; // the client repeated its request; the transfer answers it
    if (packet.mode.toLowerCase() !== 'octet') {
      sendTo(socket, encodeError(TftpErrorCode.illegalOperation, `mode "${packet.mode}" is not supported; use octet (binary)`), peer);
      return;
    }
    if (this.sessions.size >= this.maxTransfers) {
      sendTo(socket, encodeError(TftpErrorCode.notDefined, `server busy: ${this.maxTransfers} transfers running, try again later`), peer);
      return;
    }
    void this.runSession(peer, packet);
  }

  private async runSession(peer: Peer, request: TftpRequest): Promise<void> {
    const key = peerLabel(peer);
    const settings = this.settings;
    if (settings === undefined) return;
    let socket: dgram.Socket;
    try {
      socket = await bindUdpSocket(this.address);
    } catch {
      return; // no port left: the client will time out, as with any lost packet
    }
    socket.on('error', () => undefined);
    const session = new ServerSession(socket, peer, request, settings);
    this.sessions.set(key, { session, socket });
    const direction: TransferDirection = request.type === 'rrq' ? 'read' : 'write';
    try {
      const record = await session.run();
      this.emit('transfer', record);
      this.linger(socket, settings.retry.timeoutMs);
    } catch (error) {
      const failure = error instanceof TransferError ? error : new TransferError('protocolError', String(error));
      this.emit('transferFailed', { name: request.filename, direction, peer, failure: failure.failure, message: failure.message });
      closeQuietly(socket);
    } finally {
      this.sessions.delete(key);
    }
  }

  /** Keeps a finished transfer's socket a while so a repeated last DATA still gets its ACK. */
  private linger(socket: dgram.Socket, ms: number): void {
    if (this.requestSocket === undefined) {
      closeQuietly(socket);
      return;
    }
    this.lingering.add(socket);
    setTimeout(() => {
      this.lingering.delete(socket);
      closeQuietly(socket);
    }, ms).unref();
  }
}
