// The manager's FTP file service: ftp-srv bound to one address, where every login is a set of
// single-use credentials issued for exactly one file in one direction.
import { EventEmitter } from 'node:events';
import { existsSync, lstatSync, realpathSync, statSync } from 'node:fs';
import { isIP, isIPv6, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { FtpSrv, type FileSystem, type FtpConnection, type FtpServerOptions } from 'ftp-srv';
import { pino, type Logger } from 'pino';
import { IssuedTransfers, type Grant, type IssuedCredentials, type TransferMode, type TransferRequest } from './issued-transfers.ts';
import { IssuedFileSystem } from './issued-file-system.ts';
import { isPlainFileName } from './file-names.ts';

export type { IssuedCredentials, TransferMode, TransferRequest } from './issued-transfers.ts';

export interface FtpFileServerOptions {
  /** Directory whose plain files are served; issued uploads land here. */
  root: string;
  /** The one IPv4 address the control and data ports listen on. */
  address: string;
  /** Control port; 0 (default) picks a free one. */
  port?: number;
  /** Ports for passive data connections; any free port when absent. */
  passivePorts?: { min: number; max: number };
  /** Largest upload accepted, whatever a transfer asks for. Default 1 GiB. */
  maxUploadBytes?: number;
  /** How long issued credentials stay usable. Default 15 minutes. */
  credentialTtlMs?: number;
  /** Most issued credentials waiting to be used at once. Default 10 000. */
  maxOutstandingTransfers?: number;
  /**
   * A control connection silent this long is closed. The control connection is silent during a
   * transfer too, so this must exceed the longest transfer. Default 10 minutes.
   */
  idleTimeoutMs?: number;
  /**
   * The password of the credentials issued to a user name: derived by the owner (who can then give it
   * again after a restart without keeping it); a random one when absent.
   */
  passwordFor?: (username: string) => string;
  logger?: Logger;
}

export interface CompletedTransfer {
  file: string;
  direction: TransferMode;
  bytes: number;
  sha256: string;
  username: string;
  /** Remote address of the control connection. */
  peerAddress: string | undefined;
  /** Remote address of the data connection that carried the bytes. */
  dataPeerAddress: string | undefined;
}

// The only commands a session needs to log in, open a passive data connection and move its one
// file; everything else (listing, DELE, RNFR/RNTO, MKD, SITE, PORT/EPRT, REST, APPE, STOU, ...)
// is answered 502 before any handler runs.
const allowedCommands = [
  'USER',
  'PASS',
  'QUIT',
  'NOOP',
  'SYST',
  'FEAT',
  'OPTS',
  'TYPE',
  'STRU',
  'MODE',
  'PWD',
  'XPWD',
  'CWD',
  'PASV',
  'EPSV',
  'SIZE',
  'RETR',
  'STOR',
];

const defaults = {
  maxUploadBytes: 1024 ** 3,
  credentialTtlMs: 15 * 60_000,
  maxOutstandingTransfers: 10_000,
  idleTimeoutMs: 10 * 60_000,
};

export class FtpFileServer extends EventEmitter<{ transfer: [CompletedTransfer] }> {
  private readonly transfers: IssuedTransfers;
  private readonly sessions = new Map<string, IssuedFileSystem>();

  private constructor(
    private readonly ftp: FtpSrv,
    private readonly root: string,
    readonly address: string,
    readonly port: number,
    private readonly maxUploadBytes: number,
    options: Required<Pick<FtpFileServerOptions, 'credentialTtlMs' | 'maxOutstandingTransfers'>> & Pick<FtpFileServerOptions, 'passwordFor'>,
    private readonly log: Logger,
  ) {
    super();
    this.transfers = new IssuedTransfers(options.credentialTtlMs, options.maxOutstandingTransfers, Date.now, options.passwordFor);
    ftp.on('login', ({ connection, username, password }, resolve, reject) => {
      const session = this.openSession(connection, username, password);
      if (typeof session === 'string') reject(new Error(session));
      else resolve({ fs: session as unknown as FileSystem, cwd: '/' });
    });
    ftp.on('disconnect', ({ id }) => {
      this.sessions.get(id)?.abandon();
      this.sessions.delete(id);
    });
    ftp.on('client-error', ({ context, error }) => this.log.debug({ context, err: error }, 'FTP client connection error'));
  }

  static async start(options: FtpFileServerOptions): Promise<FtpFileServer> {
    const settings = { ...defaults, ...options };
    const problems = checkOptions(settings);
    if (problems.length > 0) throw new RangeError(`bad FTP file server options: ${problems.join('; ')}`);
    const root = realpathSync(settings.root);
    const log = settings.logger ?? pino({ level: 'silent' });
    const passive = settings.passivePorts ?? { min: 0, max: 0 };
    const ftpOptions: FtpServerOptions = {
      url: `ftp://${isIPv6(settings.address) ? `[${settings.address}]` : settings.address}:${settings.port ?? 0}`,
      pasv_min: passive.min,
      pasv_max: passive.max,
      // A function, because given a string ftp-srv answers PASV with the client's own address
      // whenever the client is local, which is wrong when client and server are distinct loopbacks.
      pasv_url: (() => settings.address) as unknown as string,
      anonymous: false,
      whitelist: allowedCommands,
      // ftp-srv's own timeout option also starts a timer of that length on every disconnect, which
      // holds the process open that long; the idle limit is set on each socket below instead.
      timeout: 0,
      log,
    };
    const ftp = withoutSignalTakeover(() => new FtpSrv(ftpOptions));
    await ftp.listen();
    const port = (listeningSocketOf(ftp).address() as AddressInfo).port;
    log.info({ address: settings.address, port, root }, 'FTP file server listening');
    // 'connect' is emitted by ftp-srv but missing from its type declarations.
    (ftp as EventEmitter).on('connect', ({ connection }: { connection: FtpConnection }) => {
      commandSocketOf(connection).setTimeout(settings.idleTimeoutMs);
      guardDataConnector(connection);
    });
    return new FtpFileServer(ftp, root, settings.address, port, settings.maxUploadBytes, settings, log);
  }

  /**
   * Single-use credentials for one transfer of `file`: a read of a regular file already in the
   * root, or a write of that exact new name (capped at maxBytes). Throws on anything else and
   * then issues nothing.
   */
  issueTransfer(request: TransferRequest): IssuedCredentials {
    return this.transfers.issue(this.grantFor(request));
  }

  /**
   * Takes back credentials issued before a restart (by this server, as their owner recorded them:
   * the password's SHA-256 only), valid until `expiresAt` (epoch milliseconds); the same checks as
   * issueTransfer.
   */
  restoreTransfer(request: TransferRequest & { username: string; passwordSha256: string; expiresAt: number }): void {
    const { username, passwordSha256, expiresAt } = request;
    if (!/^[\x21-\x7e]{1,128}$/.test(username)) throw new RangeError('a restored FTP user name must be 1-128 printable characters');
    if (!/^[0-9a-f]{64}$/.test(passwordSha256)) throw new RangeError('a restored FTP password is kept as its SHA-256 (64 hex digits)');
    this.transfers.restore({ username, passwordSha256 }, this.grantFor(request), expiresAt);
  }

  private grantFor(request: TransferRequest): Omit<Grant, 'username'> {
    const { mode, file, maxBytes, peerAddress } = request;
    if (mode !== 'read' && mode !== 'write') throw new RangeError(`transfer mode must be read or write, not ${JSON.stringify(mode)}`);
    if (!isPlainFileName(file)) throw new RangeError(`${JSON.stringify(file)} is not a plain file name (letters, digits, . _ -, not starting with a dot)`);
    if (maxBytes !== undefined && !(Number.isSafeInteger(maxBytes) && maxBytes >= 0))
      throw new RangeError(`maxBytes ${maxBytes} is not a non-negative integer`);
    if (peerAddress !== undefined && isIP(peerAddress) === 0) throw new RangeError(`peer address ${JSON.stringify(peerAddress)} is not an IP address`);
    const path = join(this.root, file);
    if (mode === 'read' && !lstatSync(path, { throwIfNoEntry: false })?.isFile()) throw new RangeError(`${file} is not a regular file in the FTP root`);
    if (mode === 'write' && existsSync(path)) throw new RangeError(`${file} already exists in the FTP root`);
    return { mode, file, maxBytes: Math.min(maxBytes ?? this.maxUploadBytes, this.maxUploadBytes), peerAddress };
  }

  /** Withdraws credentials not used yet; true when there were such credentials. */
  revokeTransfer(username: string): boolean {
    return this.transfers.revoke(username);
  }

  async close(): Promise<void> {
    for (const session of this.sessions.values()) session.abandon();
    this.sessions.clear();
    await this.ftp.close();
  }

  private openSession(connection: FtpConnection, username: string, password: string): IssuedFileSystem | string {
    const redemption = this.transfers.redeem(username, password, connection.ip);
    if ('refusal' in redemption) {
      this.log.info({ username, peer: connection.ip, reason: redemption.refusal }, 'FTP login refused');
      return redemption.refusal;
    }
    const session = new IssuedFileSystem(this.root, redemption.grant, () => dataSocketOf(connection)?.remoteAddress);
    this.sessions.set(connection.id, session);
    const finish = (error: unknown) => {
      session.markSpent();
      const done = session.finished();
      if (error || done === undefined) return;
      this.emit('transfer', {
        file: done.grant.file,
        direction: done.grant.mode,
        bytes: done.result.bytes,
        sha256: done.result.sha256,
        username: done.grant.username,
        peerAddress: connection.ip,
        dataPeerAddress: done.dataPeerAddress,
      });
    };
    connection.on('RETR', finish);
    connection.on('STOR', finish);
    return session;
  }
}

function checkOptions(options: FtpFileServerOptions & typeof defaults): string[] {
  const problems: string[] = [];
  if (isIP(options.address) === 0 || options.address === '0.0.0.0' || options.address === '::')
    problems.push(`address ${JSON.stringify(options.address)} is not one IPv4 or IPv6 address`);
  if (options.port !== undefined && !isPort(options.port, 0)) problems.push(`port ${options.port} is not 0-65535`);
  const passive = options.passivePorts;
  if (passive !== undefined && !(isPort(passive.min, 1024) && isPort(passive.max, 1024) && passive.min <= passive.max)) {
    problems.push(`passive ports ${passive.min}-${passive.max} are not a range within 1024-65535`);
  }
  if (!statSync(options.root, { throwIfNoEntry: false })?.isDirectory()) problems.push(`root ${options.root} is not a directory`);
  for (const key of ['maxUploadBytes', 'credentialTtlMs', 'maxOutstandingTransfers', 'idleTimeoutMs'] as const) {
    if (!(Number.isSafeInteger(options[key]) && options[key] > 0)) problems.push(`${key} ${options[key]} is not a positive integer`);
  }
  return problems;
}

const isPort = (port: number, lowest: number) => Number.isInteger(port) && port >= lowest && port <= 65535;

/**
 * ftp-srv's constructor installs SIGTERM/SIGINT/SIGQUIT handlers that close it and call
 * process.exit(0). The manager owns its shutdown, so those handlers are taken off again.
 */
function withoutSignalTakeover(create: () => FtpSrv): FtpSrv {
  const signals = ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const;
  const before = new Map(signals.map((signal) => [signal, new Set(process.listeners(signal))]));
  const ftp = create();
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  return ftp;
}

interface DataConnector {
  /** The FTP connection, or, for the idle connector that Connector.end() installs, the connector that ended. */
  connection?: unknown;
  dataSocket?: Socket | null;
  dataServer?: Server | null;
}

/**
 * Guards ftp-srv's per-connection data connector against two flaws of 4.6.3 seen when a client
 * sends PASV/EPSV again before using the first one:
 * - the replaced connector is forgotten, not closed: its listening port, and a data socket it
 *   accepted (paused, so it never notices its peer leaving), stay open for good;
 * - when that old connector later ends, its end() installs `new Connector(this)` on the
 *   connection and so drops the newer, current connector in the middle of its use.
 * The connection's `connector` property is made to close what a replaced connector held and to
 * ignore the reset coming from a connector that is no longer current.
 */
function guardDataConnector(connection: FtpConnection): void {
  const holder = connection as unknown as { connector: DataConnector };
  let current = holder.connector;
  Object.defineProperty(holder, 'connector', {
    configurable: true,
    enumerable: true,
    get: () => current,
    set: (next: DataConnector) => {
      const replaced = current;
      const installedByEnd = next.connection !== holder;
      if (installedByEnd && next.connection !== replaced) return;
      current = next;
      if (!installedByEnd && replaced !== next) {
        replaced.dataSocket?.destroy();
        replaced.dataServer?.close();
      }
    },
  });
}

// ftp-srv keeps these on its objects without declaring them in its types.
function listeningSocketOf(ftp: FtpSrv): Server {
  return (ftp as unknown as { server: Server }).server;
}

function commandSocketOf(connection: FtpConnection): Socket {
  return (connection as unknown as { commandSocket: Socket }).commandSocket;
}

function dataSocketOf(connection: FtpConnection): Socket | null | undefined {
  return (connection as unknown as { connector?: { socket?: Socket | null } }).connector?.socket;
}
