// `safeflash tftp serve|get|put`: the TFTP server standalone, and the client for quick checks.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isIPv4 } from 'node:net';
import { InvalidArgumentError, type Command } from 'commander';
import { TransferError } from '../../protocol/transfer-contract.ts';
import { FileSink } from '../../protocol/tftp/block-sink.ts';
import { BufferBlockSource } from '../../protocol/tftp/block-source.ts';
import { tftpReceive, tftpSend, type TftpClientOptions, type TftpClientResult } from '../../protocol/tftp/client.ts';
import { MAX_BLKSIZE, MAX_WINDOWSIZE, MIN_BLKSIZE } from '../../protocol/tftp/options.ts';
import { TftpServer } from '../../protocol/tftp/server.ts';
import { CommandFailure, integerOption } from './program.ts';

function ipv4Option(value: string): string {
  if (!isIPv4(value)) throw new InvalidArgumentError(`expected an IPv4 address, got "${value}"`);
  return value;
}

function logLine(event: string, fields: object): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);
}

interface ServeOptions {
  root: string;
  address: string;
  port: number;
  maxUpload: number;
  writeNames: number;
}

async function serve(options: ServeOptions): Promise<void> {
  const server = new TftpServer({ root: options.root, address: options.address, port: options.port, maxUploadBytes: options.maxUpload });
  server.on('transfer', (record) => logLine('transfer', record));
  server.on('transferFailed', (failure) => logLine('transferFailed', failure));
  try {
    await server.start();
  } catch (error) {
    throw new CommandFailure(`cannot serve ${options.root} on ${options.address}:${options.port}: ${(error as Error).message}`);
  }
  logLine('listening', { address: server.address, port: server.port, root: path.resolve(options.root), maxUploadBytes: options.maxUpload });
  for (let i = 0; i < options.writeNames; i += 1) logLine('writeName', { name: server.issueWriteName() });
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  logLine('stopped', { signal });
}

interface ClientCommandOptions {
  server: string;
  port: number;
  localAddress?: string;
  blksize: number;
  windowsize: number;
  options: boolean;
}

function clientOptions(file: string, options: ClientCommandOptions): TftpClientOptions {
  return {
    server: options.server,
    port: options.port,
    file,
    blksize: options.blksize,
    windowsize: options.windowsize,
    useOptions: options.options,
    ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
  };
}

function summary(result: TftpClientResult, sha256: string, startedAt: number): object {
  const seconds = (performance.now() - startedAt) / 1000;
  return {
    bytes: result.bytes,
    sha256,
    seconds: Number(seconds.toFixed(3)),
    mibPerSecond: Number((result.bytes / 1048576 / Math.max(seconds, 1e-6)).toFixed(1)),
    ...result.parameters,
  };
}

async function clientRun<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof TransferError) throw new CommandFailure(`${error.failure}: ${error.message}`);
    throw new CommandFailure((error as Error).message);
  }
}

function addClientOptions(command: Command): Command {
  return command
    .requiredOption('--server <address>', 'TFTP server IPv4 address', ipv4Option)
    .option('--port <port>', 'TFTP server port', integerOption(1, 65535), 69)
    .option('--local-address <address>', 'address to send from', ipv4Option)
    .option('--blksize <bytes>', 'proposed block size (RFC 2348)', integerOption(MIN_BLKSIZE, MAX_BLKSIZE), 1468)
    .option('--windowsize <blocks>', 'proposed window size (RFC 7440)', integerOption(1, MAX_WINDOWSIZE), 16)
    .option('--no-options', 'plain RFC 1350: propose no options');
}

export function registerTftpCommands(program: Command): void {
  const tftp = program.command('tftp').description('TFTP server and client');

  tftp
    .command('serve')
    .description('serve a directory over TFTP (read-only except issued upload names); logs transfers as JSON lines')
    .requiredOption('--root <dir>', 'directory to serve')
    .option('--address <address>', 'the only address to bind', ipv4Option, '127.0.0.1')
    .option('--port <port>', 'UDP port for requests (0: any free port)', integerOption(0, 65535), 69)
    .option('--max-upload <bytes>', 'largest upload accepted', integerOption(0, Number.MAX_SAFE_INTEGER), 64 * 1024 * 1024)
    .option('--write-names <count>', 'issue this many upload names at start (logged)', integerOption(0, 1000), 0)
    .action((options: ServeOptions) => serve(options));

  addClientOptions(tftp.command('get'))
    .description('download FILE from a TFTP server')
    .argument('<file>', 'file name on the server')
    .option('--out <path>', 'where to save it (default: its base name, here); never overwrites')
    .action(async (file: string, options: ClientCommandOptions & { out?: string }) => {
      const out = options.out ?? path.basename(file);
      const startedAt = performance.now();
      await clientRun(async () => {
        const sink = await FileSink.create(out);
        const result = await tftpReceive(clientOptions(file, options), sink);
        logLine('get', { file, out, ...summary(result, sink.digest(), startedAt) });
      });
    });

  addClientOptions(tftp.command('put'))
    .description('upload a local FILE to a TFTP server')
    .argument('<file>', 'local file to send')
    .option('--as <name>', 'name on the server (default: the base name of FILE)')
    .action(async (file: string, options: ClientCommandOptions & { as?: string }) => {
      const remote = options.as ?? path.basename(file);
      const startedAt = performance.now();
      await clientRun(async () => {
        const data = await readFile(file);
        const result = await tftpSend(clientOptions(remote, options), new BufferBlockSource(data));
        logLine('put', { file, as: remote, ...summary(result, createHash('sha256').update(data).digest('hex'), startedAt) });
      });
    });
}
