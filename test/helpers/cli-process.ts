// Runs `safeflash` as operators do, in a child process, and starts `safeflash serve` children.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const safeflashBin = join(import.meta.dirname, '..', '..', 'bin', 'safeflash.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [safeflashBin, ...args], { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface LiveCli {
  /** What the command printed so far, stdout then stderr. */
  output(): string;
  /** Resolves when the command exits (killed after timeoutMs). */
  done: Promise<CliResult>;
}

/** Starts `safeflash` without waiting for it, for tests that act while it runs. */
export function startCli(args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): LiveCli {
  const child = spawn(process.execPath, [safeflashBin, ...args], { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return { output: () => stdout + stderr, done };
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** The operator token the manager wrote to its data directory. */
  token: string;
  /** SAFEFLASH_SERVER and SAFEFLASH_TOKEN for CLI commands aimed at this manager. */
  env: Record<string, string>;
  stderr(): string;
  /** What it wrote to stdout (its JSON log), when started with `logs`. */
  stdout(): string;
  /** Stops the manager with a signal and resolves with its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `safeflash serve` with `args` and resolves once its API answers (over HTTP or HTTPS). `logs`
 * keeps what it writes to stdout; `env` is added to the child's environment.
 */
export function startServe(args: string[], timeoutMs = 90_000, options: { logs?: boolean; env?: Record<string, string> } = {}): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [safeflashBin, 'serve', ...args], {
      stdio: ['ignore', options.logs ? 'pipe' : 'ignore', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    let stderr = '';
    let stdout = '';
    child.stdout?.on('data', (chunk) => (stdout += chunk));
    // A manager ended by a signal says which in what the tests print of its stderr.
    const exited = new Promise<number | null>((done) =>
      child.once('exit', (code, signal) => {
        if (signal) stderr += `[serve ended by ${signal}]\n`;
        done(code);
      }),
    );
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start in time: ${stderr}`));
    }, timeoutMs);
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
      const match = /API (https?:\/\/[0-9.]+:[0-9]+).*; operator token in (.+?); stop/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        const token = readFileSync(match[2]!, 'utf8').trim();
        resolve({
          child,
          url: match[1]!,
          token,
          env: { SAFEFLASH_SERVER: match[1]!, SAFEFLASH_TOKEN: token },
          stderr: () => stderr,
          stdout: () => stdout,
          stop: (signal = 'SIGTERM') => {
            if (child.exitCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}) before it started: ${stderr}`));
    });
  });
}
