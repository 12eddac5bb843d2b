// What a process tree costs, read from /proc: CPU seconds (user + system, including children it has
// reaped), the kernel's peak resident size (VmHWM) and the resident and proportional sizes right now.
// Used to measure the manager and the embedded PostgreSQL it starts, whose backends come and go.
import { readdirSync, readFileSync } from 'node:fs';

const clockTicksPerSecond = 100; // USER_HZ on Linux: fixed at 100 for every architecture Node.js runs on.

export interface ProcessSample {
  pid: number;
  command: string;
  /** utime + stime + cutime + cstime, in seconds: its own CPU and that of children it has waited for. */
  cpuSeconds: number;
  rssKiB: number;
  hwmKiB: number;
  /** Proportional set size (shared pages divided among their users); undefined when unreadable. */
  pssKiB: number | undefined;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process exited between listing and reading
  }
}

/** pid, ppid and CPU of /proc/<pid>/stat; the command is in parentheses and may hold spaces. */
function parseStat(text: string): { ppid: number; command: string; cpuTicks: number } {
  const close = text.lastIndexOf(')');
  const command = text.slice(text.indexOf('(') + 1, close);
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state) of proc(5); utime is field 14, so fields[11]; stime, cutime, cstime follow.
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
  return { ppid: Number(fields[1]), command, cpuTicks: ticks };
}

/** Field 22 of /proc/<pid>/stat: when the process started, in ticks since boot; tells a reused pid apart. */
export function startTime(pid: number): string | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

function statusKiB(status: string, key: string): number {
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) : 0;
}

function pssKiB(pid: number): number | undefined {
  const rollup = readText(`/proc/${pid}/smaps_rollup`);
  if (rollup === undefined) return undefined;
  const match = /^Pss:\s+(\d+) kB/m.exec(rollup);
  return match ? Number(match[1]) : undefined;
}

/** `withPss` false: pssKiB is left undefined (reading smaps_rollup walks the process's page tables). */
export function sampleProcess(pid: number, withPss = true): ProcessSample | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  const status = readText(`/proc/${pid}/status`);
  if (stat === undefined || status === undefined) return undefined;
  const parsed = parseStat(stat);
  return {
    pid,
    command: parsed.command,
    cpuSeconds: parsed.cpuTicks / clockTicksPerSecond,
    rssKiB: statusKiB(status, 'VmRSS'),
    hwmKiB: statusKiB(status, 'VmHWM'),
    pssKiB: withPss ? pssKiB(pid) : undefined,
  };
}

/** Every live descendant of `root` (not root itself), found by walking parent links once. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readText(`/proc/${entry}/stat`);
    if (stat === undefined) continue;
    const { ppid } = parseStat(stat);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

export interface TreeSample {
  at: number;
  root: ProcessSample;
  /** The root's descendants (for the manager: the PostgreSQL postmaster and its backends). */
  children: ProcessSample[];
}

export function sampleTree(root: number, withPss = true): TreeSample | undefined {
  const rootSample = sampleProcess(root, withPss);
  if (!rootSample) return undefined;
  const children = descendants(root)
    .map((pid) => sampleProcess(pid, withPss))
    .filter((s): s is ProcessSample => s !== undefined);
  return { at: Date.now(), root: rootSample, children };
}

/** CPU of the whole tree: a backend that exited moved its time into its parent's cutime/cstime. */
export function treeCpuSeconds(sample: TreeSample): number {
  return sample.root.cpuSeconds + sample.children.reduce((sum, c) => sum + c.cpuSeconds, 0);
}

export type ProcessFilter = (process: ProcessSample) => boolean;

export function childrenRssKiB(sample: TreeSample, which: ProcessFilter): number {
  return sample.children.filter(which).reduce((sum, c) => sum + c.rssKiB, 0);
}

export function childrenPssKiB(sample: TreeSample, which: ProcessFilter): number | undefined {
  let total = 0;
  for (const c of sample.children.filter(which)) {
    if (c.pssKiB === undefined) return undefined;
    total += c.pssKiB;
  }
  return total;
}

/**
 * How many samples apart the proportional sizes are read. Reading a PostgreSQL backend's smaps_rollup
 * walks its page tables (its shared buffers included): for 35 backends, once a second, that took
 * about 10 % of a core from the machine under test, most of the bench's own CPU.
 */
const pssEvery = 5;

/** Samples a tree at a fixed interval and keeps what the report needs: first, last, and the peaks of the children `which` picks. */
export class TreeSampler {
  first: TreeSample | undefined;
  last: TreeSample | undefined;
  peakChildrenRssKiB = 0;
  peakChildrenPssKiB: number | undefined;
  peakChildrenCount = 0;
  private timer: NodeJS.Timeout | undefined;
  private samples = 0;

  constructor(
    private readonly root: number,
    private readonly which: ProcessFilter = () => true,
  ) {}

  sample(): TreeSample | undefined {
    const sample = sampleTree(this.root, this.samples++ % pssEvery === 0);
    if (!sample) return undefined;
    this.first ??= sample;
    this.last = sample;
    this.peakChildrenRssKiB = Math.max(this.peakChildrenRssKiB, childrenRssKiB(sample, this.which));
    const pss = childrenPssKiB(sample, this.which);
    if (pss !== undefined) this.peakChildrenPssKiB = Math.max(this.peakChildrenPssKiB ?? 0, pss);
    this.peakChildrenCount = Math.max(this.peakChildrenCount, sample.children.filter(this.which).length);
    return sample;
  }

  start(intervalMs: number): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): TreeSample | undefined {
    clearInterval(this.timer);
    return this.sample() ?? this.last;
  }
}
