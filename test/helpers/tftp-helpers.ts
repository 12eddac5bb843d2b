// Shared pieces of the TFTP tests: served directories, our server on them, external servers run in
// the foreground, and a UDP proxy on loopback that drops chosen packets.
import { tempDir as makeTempDir } from './files.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { TftpServer, type TftpServerOptions, type TftpTransferFailure, type TftpTransferRecord } from '../../src/protocol/tftp/server.ts';

export { entriesOf, putFile, sha256 } from './files.ts';
export const tempDir = (prefix = 'safeflash-tftp-') => makeTempDir(prefix);

export interface RunningTftpServer {
  server: TftpServer;
  root: string;
  port: number;
  transfers: TftpTransferRecord[];
  failures: TftpTransferFailure[];
  stop: () => Promise<void>;
}

export async function startTftpServer(options: Partial<TftpServerOptions> = {}): Promise<RunningTftpServer> {
  const dir = tempDir();
  const server = new TftpServer({ root: dir.path, address: '127.0.0.1', ...options });
  const transfers: TftpTransferRecord[] = [];
  const failures: TftpTransferFailure[] = [];
  server.on('transfer', (record) => transfers.push(record));
  server.on('transferFailed', (failure) => failures.push(failure));
  await server.start();
  return {
    server,
    root: dir.path,
    port: server.port,
    transfers,
    failures,
    stop: async () => {
      await server.close();
      dir.remove();
    },
  };
}

/** Waits (bounded) until `check` holds; the server records a transfer just after the client finished. */
export async function eventually(check: () => boolean, what: string, limitMs = 5000): Promise<void> {
  for (let waited = 0; waited < limitMs; waited += 20) {
    if (check()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A random free-looking high UDP port for programs that cannot be told to pick one themselves. */
export async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

/** Runs a program to its end (bounded), returning its exit code and output. */
export async function run(
  command: string,
  args: string[],
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** A server program kept in the foreground; stop() kills it and waits for it to exit. */
export interface ForegroundServer {
  process: ChildProcess;
  port: number;
  stop: () => Promise<void>;
}

/** Starts a foreground server and waits until its UDP port answers (a request for a missing file). */
export async function startForegroundServer(command: string, args: string[], port: number): Promise<ForegroundServer> {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const forced = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(forced);
  };
  for (let attempt = 0; attempt < 50; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}: ${stderr.trim()}`);
    if (await answersOn(port)) return { process: child, port, stop };
    await sleep(100);
  }
  await stop();
  throw new Error(`${command} did not answer on 127.0.0.1:${port}: ${stderr.trim()}`);
}

/** Whether a TFTP server on 127.0.0.1:port answers a read request (with anything). */
async function answersOn(port: number): Promise<boolean> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  try {
    const answered = new Promise<boolean>((resolve) => {
      socket.once('message', () => resolve(true));
      setTimeout(() => resolve(false), 200);
    });
    socket.send(Buffer.from('\x00\x01probe-for-a-missing-file\x00octet\x00', 'latin1'), port, '127.0.0.1');
    return await answered;
  } finally {
    socket.close();
  }
}

/**
 * A UDP proxy between one TFTP client and a server, both on loopback, that drops chosen packets.
 * Requests go to `port`; each server TID gets its own client-facing socket, so the client sees a
 * consistent peer. Drops are decided by packet count per direction, and bounded.
 */
export class LossProxy {
  private requestSocket!: dgram.Socket;
  private serverSide!: dgram.Socket;
  private client: dgram.RemoteInfo | undefined;
  private readonly facades = new Map<number, Promise<dgram.Socket>>();
  private toServerCount = 0;
  private toClientCount = 0;
  dropped = { toServer: 0, toClient: 0 };

  constructor(
    private readonly serverPort: number,
    /** Drop the n-th packet in a direction when this says so (n counts from 1). */
    private readonly drop: (direction: 'toServer' | 'toClient', n: number) => boolean,
  ) {}

  get port(): number {
    return this.requestSocket.address().port;
  }

  async start(): Promise<void> {
    this.requestSocket = await bound();
    this.serverSide = await bound();
    this.requestSocket.on('message', (message, rinfo) => {
      this.client = rinfo;
      this.forwardToServer(message, this.serverPort);
    });
    this.serverSide.on('message', (message, rinfo) => void this.forwardToClient(message, rinfo.port));
  }

  private forwardToServer(message: Buffer, port: number): void {
    this.toServerCount += 1;
    if (this.drop('toServer', this.toServerCount)) {
      this.dropped.toServer += 1;
      return;
    }
    this.serverSide.send(message, port, '127.0.0.1');
  }

  private async forwardToClient(message: Buffer, serverTid: number): Promise<void> {
    let opening = this.facades.get(serverTid);
    if (opening === undefined) {
      opening = bound().then((created) => created.on('message', (reply) => this.forwardToServer(reply, serverTid)));
      this.facades.set(serverTid, opening);
    }
    const facade = await opening;
    this.toClientCount += 1;
    if (this.client === undefined || this.drop('toClient', this.toClientCount)) {
      this.dropped.toClient += 1;
      return;
    }
    facade.send(message, this.client.port, this.client.address);
  }

  async close(): Promise<void> {
    const facades = await Promise.all(this.facades.values());
    for (const socket of [this.requestSocket, this.serverSide, ...facades]) socket.close();
  }
}

async function bound(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}
