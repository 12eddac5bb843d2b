// --perf: where the CPU goes, by Linux's sampler rather than V8's. V8's profiler (--manager-profile)
// samples on wall-clock ticks; on a saturated machine a thread that wakes another (a socket write that
// wakes a PostgreSQL backend, a file call that wakes a libuv worker) is often preempted right there, and
// the wait is charged to that call. `perf record` samples CPU cycles, so only work is counted, and it
// sees every thread: V8's compiler and collector, libuv's workers, the PostgreSQL backends.
//
// The bench's Node.js children run with --perf-basic-prof-only-functions, so that perf names their
// JavaScript functions (V8 writes /tmp/perf-<pid>.map, removed here afterwards). A main-thread sample
// is put down to the innermost function of the project's source on its stack (else the package, else
// "Node.js, V8 and the kernel"); helper threads by what they do. PostgreSQL is built without frame
// pointers, so its samples are counted, not broken down.
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A process, or a group of them (PostgreSQL's postmaster and backends), whose samples count together. */
export interface ProfiledProcess {
  name: string;
  pids: number[];
  /** A Node.js process run with perf's map: its samples are broken down by thread and function. */
  node: boolean;
}

/** Why perf cannot be used here, or undefined when it can. */
export function perfMissing(): string | undefined {
  const probe = spawnSync('perf', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return 'perf is not installed (Debian: linux-perf)';
  return undefined;
}

/** Node.js flags of a child whose functions perf should name. */
export const perfNodeFlags = ['--perf-basic-prof-only-functions'];

/** Samples per second of CPU time: one per millisecond, about. */
const samplingHz = 999;

const sourceRoot = fileURLToPath(new URL('../../src/', import.meta.url));

/** Records `seconds` of the processes' threads into `file`. */
export async function recordPerf(processes: ProfiledProcess[], seconds: number, file: string): Promise<void> {
  const pids = processes.flatMap((p) => p.pids).join(',');
  const child = spawn('perf', ['record', '-F', String(samplingHz), '-g', '-p', pids, '-o', file, '--', 'sleep', String(seconds)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`perf record exited with ${code}: ${stderr.trim().split('\n').slice(-2).join(' ')}`);
}

interface Tally {
  samples: number;
  main: Map<string, number>;
  helpers: Map<string, number>;
}

const add = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

/** The part of the project, package or runtime a main-thread stack (innermost frame first) is put down to. */
function mainThreadPart(frames: string[]): string {
  for (const frame of frames) {
    const at = frame.indexOf(sourceRoot);
    if (at >= 0) return frame.slice(at + sourceRoot.length).replace(/:\d+(:\d+)?$/, '');
  }
  for (const frame of frames) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(frame);
    if (match) return `package ${match[1]}`;
  }
  return 'Node.js, V8 and the kernel';
}

/** What a helper thread was doing. */
function helperPart(frames: string[]): string {
  const stack = frames.join(' ');
  if (/Compil|compiler|Turbofan|Maglev/.test(stack)) return 'V8 compiling';
  if (/Mark|Sweep|Scaveng|Heap|GC/.test(stack)) return 'V8 collecting garbage';
  // libuv's thread pool runs the file system calls (its threads' function is `worker`).
  if (/uv__fs_|uv__work|\bworker\b/.test(stack)) return 'libuv file system calls';
  return 'other';
}

/** Reads `perf script` of the recording and counts each process's samples by part. */
async function tally(file: string, processes: ProfiledProcess[]): Promise<Map<ProfiledProcess, Tally>> {
  const tallies = new Map<ProfiledProcess, Tally>(processes.map((p) => [p, { samples: 0, main: new Map(), helpers: new Map() }]));
  const byPid = new Map(processes.flatMap((p) => p.pids.map((pid) => [pid, p] as const)));
  const script = spawn('perf', ['script', '-i', file, '-F', 'pid,tid,ip,sym'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let current: { pid: number; tid: number; frames: string[] } | undefined;
  const close = () => {
    const owner = current && byPid.get(current.pid);
    if (current && owner) {
      const own = tallies.get(owner)!;
      own.samples += 1;
      if (owner.node) {
        if (current.pid === current.tid) add(own.main, mainThreadPart(current.frames));
        else add(own.helpers, helperPart(current.frames));
      }
    }
    current = undefined;
  };
  for await (const line of createInterface({ input: script.stdout })) {
    if (line.length === 0) continue;
    if (!line.startsWith('\t')) {
      close();
      const match = /^\s*(\d+)\/(\d+)/.exec(line);
      if (match) current = { pid: Number(match[1]), tid: Number(match[2]), frames: [] };
      continue;
    }
    current?.frames.push(line.trim().replace(/^[0-9a-f]+\s+/, ''));
  }
  close();
  return tallies;
}

const percent = (part: number, whole: number) => `${whole > 0 ? ((100 * part) / whole).toFixed(1) : '0.0'} %`;

function topParts(map: Map<string, number>, whole: number, count: number): string {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([part, n]) => `${part} ${percent(n, whole)}`)
    .join(', ');
}

/** The recording, summed up: each process's share of all samples, and where a Node.js process's went. */
export async function perfLines(file: string, processes: ProfiledProcess[], seconds: number): Promise<string[]> {
  const tallies = await tally(file, processes);
  const all = [...tallies.values()].reduce((sum, t) => sum + t.samples, 0);
  const lines = [
    `perf: CPU samples at ${samplingHz} Hz over ${seconds} s, ${all} in all (${processes.map((p) => p.name).join(', ')}); shares of each process's own samples:`,
  ];
  for (const profiled of processes) {
    const t = tallies.get(profiled)!;
    lines.push(`  ${profiled.name}: ${percent(t.samples, all)} of all samples, about ${(t.samples / samplingHz).toFixed(1)} CPU seconds`);
    if (!profiled.node) continue;
    const main = [...t.main.values()].reduce((sum, n) => sum + n, 0);
    const helpers = t.samples - main;
    lines.push(`    main thread ${percent(main, t.samples)}: ${topParts(t.main, t.samples, 12)}`);
    lines.push(`    helper threads ${percent(helpers, t.samples)}: ${topParts(t.helpers, t.samples, 4)}`);
  }
  return lines;
}

/** Removes the function maps V8 wrote for perf. */
export function removePerfMaps(pids: number[]): void {
  for (const pid of pids) rmSync(`/tmp/perf-${pid}.map`, { force: true });
}
