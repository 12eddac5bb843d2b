// The benchmark's child processes (the virtual fleet, the manager): output to log files in the bench's
// temporary directory (so that a chatty child never waits on a pipe the bench is slow to drain), a
// readiness line found by reading that file, and a stop that ends the child and anything it started.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { descendants, startTime } from './process-stats.ts';

export interface BenchChild {
  name: string;
  child: ChildProcess;
  pid: number;
  logFile: string;
  /** Exit code or signal once the child has ended. */
  exited: Promise<string>;
  /** The first match of `pattern` in the log, or an error with the log's tail after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** SIGTERM, then SIGKILL to the child and every descendant left after `graceMs`. */
  stop(graceMs: number): Promise<void>;
  tail(lines?: number): string;
}

export function startChild(name: string, argv: string[], logFile: string): BenchChild {
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, argv, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${name} did not start`);
  const pid = child.pid;
  let ended: string | undefined;
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => {
      ended = signal ?? `exit ${code}`;
      resolve(ended);
    }),
  );
  const log = () => readFileSync(logFile, 'utf8');
  // Lines cut short: the fleet's ready line alone lists every device.
  const tail = (lines = 20) =>
    log()
      .trimEnd()
      .split('\n')
      .slice(-lines)
      .map((line) => (line.length > 400 ? `${line.slice(0, 400)}…` : line))
      .join('\n');

  return {
    name,
    child,
    pid,
    logFile,
    exited,
    tail,
    async waitFor(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const match = pattern.exec(log());
        if (match) return match;
        if (ended !== undefined) throw new Error(`${name} ended (${ended}) before it was ready:\n${tail()}`);
        await sleep(200);
      }
      throw new Error(`${name} not ready after ${timeoutMs} ms:\n${tail()}`);
    },
    async stop(graceMs) {
      // Found before the signal: once the child is gone its orphans are re-parented and lost from view.
      const family = descendants(pid).map((p) => ({ pid: p, startTime: startTime(p) }));
      if (ended === undefined) child.kill('SIGTERM');
      await Promise.race([exited, sleep(graceMs)]);
      if (ended === undefined) child.kill('SIGKILL');
      await Promise.race([exited, sleep(5_000)]);
      for (const orphan of family) {
        // Only a process that is still the one seen before (same start time): a pid may have been reused.
        if (startTime(orphan.pid) !== orphan.startTime) continue;
        try {
          process.kill(orphan.pid, 'SIGKILL');
        } catch {
          // gone meanwhile: the orderly stop took it
        }
      }
    },
  };
}
