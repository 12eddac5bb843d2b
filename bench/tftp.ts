// TFTP download throughput on loopback: our server, tftpd-hpa and atftpd, each fetched by the same
// clients (atftp, curl, our `safeflash tftp get`) with the same files and options. Prints MiB/s per
// run with the exact command that produced it. Every output is checked against the source SHA-256.
// All servers run at once and each repetition fetches from every server in turn, so a burst of load
// from other work on the machine hits them alike (lock-step transfers are very sensitive to it).
//
//   node --import tsx bench/tftp.ts            # full matrix (bounded: stops after 3.5 minutes per repetition)
//   TFTP_BENCH_QUICK=1 node --import tsx bench/tftp.ts   # 32 MiB, blksize 512/1468/8192 x windowsize 1/16 (4 minutes per repetition at most)
//   TFTP_BENCH_REPEATS=5 ...                   # repetitions per figure (default 3)
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../test/helpers/kill-manager.ts';
import { findProgram } from '../test/helpers/tools.ts';

const quick = process.env.TFTP_BENCH_QUICK === '1' || process.argv.includes('--quick');
const RUN_LIMIT_MS = 20_000;
/** Loopback round trips on 2 cores vary a lot with where the scheduler puts the two processes: repeat. */
const REPEATS = Math.min(10, Math.max(1, Number(process.env.TFTP_BENCH_REPEATS ?? 3) || 3));
const MiB = 1024 * 1024;
const TFTPD_HPA = '/opt/tftpd-hpa/usr/sbin/in.tftpd';
const SAFEFLASH = resolve(import.meta.dirname, '..', 'bin', 'safeflash.js');

interface Setting {
  file: string;
  size: number;
  blksize: number;
  windowsize: number;
}

interface Client {
  name: string;
  /** Whether the client can ask for a window size (else only windowsize 1 runs). */
  windows: boolean;
  command: (port: number, setting: Setting, out: string) => string[];
  /** Seconds of the transfer itself when the client reports it (ours: excludes Node.js start-up). */
  reportedSeconds?: (stdout: string) => number | undefined;
}

const clients: Client[] = [
  {
    name: 'atftp',
    windows: true,
    command: (port, s, out) => [
      'atftp',
      '--option',
      `blksize ${s.blksize}`,
      ...(s.windowsize > 1 ? ['--option', `windowsize ${s.windowsize}`] : []),
      '-g',
      '-r',
      s.file,
      '-l',
      out,
      '127.0.0.1',
      String(port),
    ],
  },
  {
    name: 'curl',
    windows: false,
    command: (port, s, out) => ['curl', '-sS', '--tftp-blksize', String(s.blksize), '-o', out, `tftp://127.0.0.1:${port}/${s.file}`],
  },
  {
    name: 'safeflash',
    windows: true,
    command: (port, s, out) => [
      'node',
      SAFEFLASH,
      'tftp',
      'get',
      '--server',
      '127.0.0.1',
      '--port',
      String(port),
      '--blksize',
      String(s.blksize),
      '--windowsize',
      String(s.windowsize),
      s.file,
      '--out',
      out,
    ],
    reportedSeconds: (stdout) => {
      const line = stdout.trim().split('\n').pop();
      const seconds = line === undefined ? undefined : (JSON.parse(line) as { seconds?: number }).seconds;
      return typeof seconds === 'number' ? seconds : undefined;
    },
  },
];

interface ServerKind {
  name: string;
  available: boolean;
  launch: (root: string, port: number) => string[];
}

const servers: ServerKind[] = [
  {
    name: 'safeflash',
    available: true,
    launch: (root, port) => ['node', SAFEFLASH, 'tftp', 'serve', '--root', root, '--address', '127.0.0.1', '--port', String(port)],
  },
  {
    name: 'tftpd-hpa',
    available: findProgram(TFTPD_HPA) !== undefined,
    launch: (root, port) => [TFTPD_HPA, '-L', '-a', `127.0.0.1:${port}`, '-s', root, '-u', 'root'],
  },
  {
    name: 'atftpd',
    available: findProgram('atftpd') !== undefined,
    launch: (root, port) => [
      'atftpd',
      '--daemon',
      '--no-fork',
      '--port',
      String(port),
      '--bind-address',
      '127.0.0.1',
      '--user',
      'root.root',
      '--logfile',
      '/dev/null',
      root,
    ],
  },
];

function settings(): Setting[] {
  const list: Setting[] = [];
  const blksizes = [512, 1468, 8192];
  const windowsizes = quick ? [1, 16] : [1, 16, 64];
  for (const blksize of blksizes) for (const windowsize of windowsizes) list.push({ file: 'f32.bin', size: 32 * MiB, blksize, windowsize });
  if (!quick) {
    // 256 MiB only where a run stays within seconds; small blocks without windows would take minutes each.
    for (const [blksize, windowsize] of [
      [1468, 64],
      [8192, 16],
      [8192, 64],
    ] as const)
      list.push({ file: 'f256.bin', size: 256 * MiB, blksize, windowsize });
  }
  return list;
}

async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function runToEnd(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string; seconds: number }> {
  const started = performance.now();
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_LIMIT_MS);
  const code = await new Promise<number | null>((done) => child.on('close', done));
  clearTimeout(timer);
  return { code, stdout, stderr, seconds: (performance.now() - started) / 1000 };
}

async function startServer(kind: ServerKind, root: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort('127.0.0.1', 'udp');
  const argv = kind.launch(root, port);
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
  // Ours says when it listens (Node.js start-up takes a while); the C servers bind at once.
  let said = '';
  child.stdout?.on('data', (chunk: Buffer) => (said += chunk.toString()));
  for (let waited = 0; waited < 10_000 && !(kind.name !== 'safeflash' ? waited >= 300 : said.includes('"listening"')); waited += 50) {
    await sleep(50);
  }
  return { port, child };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exited;
}

const quote = (argv: string[]): string => argv.map((arg) => (/^[\w./:=@-]+$/.test(arg) ? arg : `'${arg}'`)).join(' ');

interface RunningServer {
  kind: ServerKind;
  port: number;
  child: ChildProcess;
}

/** One download: its MiB/s, or why it failed. */
async function measure(client: Client, server: RunningServer, s: Setting, out: string, digest: string | undefined): Promise<number | string> {
  const result = await runToEnd(client.command(server.port, s, out));
  const seconds = client.reportedSeconds?.(result.stdout) ?? result.seconds;
  try {
    if (result.code !== 0) return `FAILED (exit ${result.code ?? `killed after ${RUN_LIMIT_MS / 1000} s`}: ${result.stderr.trim().split('\n').pop() ?? ''})`;
    if ((await fileDigest(out)) !== digest) return 'WRONG CONTENT';
    return s.size / MiB / seconds;
  } finally {
    rmSync(out, { force: true });
  }
}

function summary(rates: number[], failed: string | undefined): string {
  if (failed !== undefined) return failed;
  const sorted = [...rates].sort((a, b) => a - b);
  return `best ${(sorted[sorted.length - 1] as number).toFixed(1).padStart(6)} MiB/s, median ${(sorted[Math.floor(sorted.length / 2)] as number).toFixed(1).padStart(6)}`;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'safeflash-bench-tftp-'));
  const outDir = mkdtempSync(join(tmpdir(), 'safeflash-bench-out-'));
  // Bounded whatever the repetitions: about 4 (quick) or 3.5 minutes per repetition. Lock-step runs with
  // small blocks slow down a lot when the machine is busy; the quick subset should still reach blksize 8192.
  const deadline = Date.now() + (quick ? 4 : 3.5) * REPEATS * 60_000;
  const running: RunningServer[] = [];
  /** Our server's median against atftpd's, per client and setting, for the summary. */
  const ratios: Array<{ client: string; setting: Setting; ratio: number }> = [];
  try {
    const digests = new Map<string, string>();
    for (const s of settings()) {
      if (digests.has(s.file)) continue;
      const data = randomBytes(s.size);
      writeFileSync(join(root, s.file), data);
      digests.set(s.file, createHash('sha256').update(data).digest('hex'));
    }
    console.log(`TFTP download throughput on 127.0.0.1 (${quick ? 'quick subset' : 'full matrix'}); MiB/s over ${REPEATS} runs each, servers taking turns`);
    console.log('safeflash client: time reported by the CLI (transfer only, without Node.js start-up); others: wall time of the command\n');
    for (const kind of servers) {
      if (!kind.available) {
        console.log(`# server ${kind.name}: not installed, skipped`);
        continue;
      }
      const { port, child } = await startServer(kind, root);
      running.push({ kind, port, child });
      console.log(`# server ${kind.name}: ${quote(kind.launch(root, port))}`);
    }
    matrix: for (const s of settings()) {
      for (const client of clients) {
        if (s.windowsize > 1 && !client.windows) continue;
        if (findProgram(client.command(0, s, '')[0] as string) === undefined) continue;
        if (Date.now() > deadline) {
          console.log('time budget spent: stopping here');
          break matrix;
        }
        const rates = new Map<RunningServer, number[]>(running.map((server) => [server, []]));
        const failures = new Map<RunningServer, string>();
        for (let attempt = 0; attempt < REPEATS; attempt += 1) {
          for (const server of running) {
            if (failures.has(server)) continue;
            const out = join(outDir, `${server.kind.name}-${client.name}-${s.blksize}-${s.windowsize}-${s.file}`);
            const rate = await measure(client, server, s, out, digests.get(s.file));
            if (typeof rate === 'string') failures.set(server, rate);
            else rates.get(server)?.push(rate);
          }
        }
        const medianOf = (server: RunningServer | undefined) => {
          const sorted = [...(server ? (rates.get(server) ?? []) : [])].sort((a, b) => a - b);
          return sorted.length > 0 && server && !failures.has(server) ? sorted[Math.floor(sorted.length / 2)]! : undefined;
        };
        const ours = medianOf(running.find((r) => r.kind.name === 'safeflash'));
        const theirs = medianOf(running.find((r) => r.kind.name === 'atftpd'));
        if (ours !== undefined && theirs !== undefined) ratios.push({ client: client.name, setting: s, ratio: ours / theirs });
        for (const server of running) {
          const figure = summary(rates.get(server) ?? [], failures.get(server));
          const argv = client.command(server.port, s, join(outDir, 'out'));
          console.log(
            `${server.kind.name.padEnd(9)} ${client.name.padEnd(9)} ${String(s.size / MiB).padStart(3)} MiB blksize ${String(s.blksize).padStart(4)} windowsize ${String(s.windowsize).padStart(2)}: ${figure}   $ ${quote(argv)}`,
          );
        }
      }
    }
    console.log('\nsafeflash server / atftpd, median MiB/s, same client, same run:');
    for (const { client, setting, ratio } of ratios)
      console.log(
        `  ${client.padEnd(9)} ${String(setting.size / MiB).padStart(3)} MiB blksize ${String(setting.blksize).padStart(4)} windowsize ${String(setting.windowsize).padStart(2)}: ${ratio.toFixed(2)}x`,
      );
    console.log(`$ ${['node --import tsx bench/tftp.ts', ...process.argv.slice(2)].join(' ')}${quick ? ' (TFTP_BENCH_QUICK=1)' : ''}`);
  } finally {
    for (const { child } of running) await stopServer(child);
    rmSync(root, { recursive: true, force: true });
    rmSync(outDir, { recursive: true, force: true });
  }
}

await main();
