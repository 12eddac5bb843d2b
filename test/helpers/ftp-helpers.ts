// Shared pieces of the FTP tests: a served directory, our file server on it, targets for our
// client, and a throwaway vsftpd instance for interop.
import { tempDir as makeTempDir } from './files.ts';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { FtpFileServer, type CompletedTransfer, type FtpFileServerOptions, type IssuedCredentials } from '../../src/protocol/ftp/server.ts';
import type { TransferTarget } from '../../src/protocol/transfer-contract.ts';

export { entriesOf, putFile, sha256 } from './files.ts';
export const tempDir = (prefix = 'safeflash-ftp-') => makeTempDir(prefix);

export interface RunningFileServer {
  server: FtpFileServer;
  root: string;
  transfers: CompletedTransfer[];
  stop: () => Promise<void>;
}

export async function startFileServer(options: Partial<FtpFileServerOptions> = {}): Promise<RunningFileServer> {
  const dir = tempDir();
  const server = await FtpFileServer.start({ root: dir.path, address: '127.0.0.1', ...options });
  const transfers: CompletedTransfer[] = [];
  server.on('transfer', (transfer) => transfers.push(transfer));
  return {
    server,
    root: dir.path,
    transfers,
    stop: async () => {
      await server.close();
      dir.remove();
    },
  };
}

export function targetFor(server: FtpFileServer, credentials: IssuedCredentials, extra: Partial<TransferTarget> = {}): TransferTarget {
  return {
    protocol: 'ftp',
    server: server.address,
    port: server.port,
    file: credentials.file,
    username: credentials.username,
    password: credentials.password,
    ...extra,
  };
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function freePort(address = '127.0.0.1'): Promise<number> {
  const probe = createServer();
  probe.listen(0, address);
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  probe.close();
  await once(probe, 'close');
  return port;
}

/** Resolves once something accepts TCP connections on address:port; gives up after `attempts` tries. */
export async function waitForListener(address: string, port: number, attempts = 100): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: address, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (accepted) return;
    await sleep(50);
  }
  throw new Error(`nothing listens on ${address}:${port}`);
}

export interface RunningVsftpd {
  port: number;
  root: string;
  /** vsftpd's transfer log so far. */
  log: () => string;
  stop: () => Promise<void>;
}

/**
 * vsftpd in the foreground on 127.0.0.1 only, serving `root` to anonymous users who may upload.
 * run_as_launching_user lets it run without its privileged-separation user, chroot directory or
 * root rights (and as root without dropping to them), which is all a throwaway test instance needs.
 */
export async function startVsftpd(program: string): Promise<RunningVsftpd> {
  const root = tempDir();
  const config = tempDir();
  const port = await freePort();
  const passiveBase = 40_000 + Math.floor(Math.random() * 20_000);
  const configPath = join(config.path, 'vsftpd.conf');
  const logPath = join(config.path, 'vsftpd.log');
  writeFileSync(
    configPath,
    [
      'listen=YES',
      'listen_ipv6=NO',
      'background=NO',
      'listen_address=127.0.0.1',
      `listen_port=${port}`,
      'pasv_enable=YES',
      'pasv_address=127.0.0.1',
      `pasv_min_port=${passiveBase}`,
      `pasv_max_port=${passiveBase + 20}`,
      'port_enable=NO',
      'anonymous_enable=YES',
      `anon_root=${root.path}`,
      'no_anon_password=YES',
      'local_enable=NO',
      'write_enable=YES',
      'anon_upload_enable=YES',
      'anon_umask=022',
      'seccomp_sandbox=NO',
      'run_as_launching_user=YES',
      // Transfers are logged with the client address, so a test can see where connections came from.
      'xferlog_enable=YES',
      'xferlog_std_format=NO',
      'log_ftp_protocol=NO',
      'syslog_enable=NO',
      `vsftpd_log_file=${logPath}`,
      '',
    ].join('\n'),
  );
  const child = spawn(program, [configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit');
  try {
    await Promise.race([waitForListener('127.0.0.1', port), exited.then(() => Promise.reject(new Error(`vsftpd exited at start: ${stderr.trim()}`)))]);
  } catch (error) {
    child.kill('SIGKILL');
    root.remove();
    config.remove();
    throw error;
  }
  return {
    port,
    root: root.path,
    log: () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : ''),
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      root.remove();
      config.remove();
    },
  };
}
