// `safeflash-agent` as a real child process for interop tests: started with --json, ready when it
// prints its report, stopped with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const agentBin = fileURLToPath(new URL('../../bin/safeflash-agent.js', import.meta.url));

export interface AgentReportDevice {
  number: number;
  address: string;
  port: number;
  serial: string;
  model: string;
  runningVersion: string;
  engineId: string;
}

export interface AgentProcess {
  devices: AgentReportDevice[];
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: a power cut of every device of the process. */
  kill(): Promise<void>;
}

/** A random loopback /24 for one test file's devices (127.<second>.x.1), away from other tests' ranges. */
export function randomBaseAddress(second: number): string {
  return `127.${second}.${1 + Math.floor(Math.random() * 250)}.1`;
}

export function randomPort(): number {
  return 20_000 + Math.floor(Math.random() * 40_000);
}

export async function startAgentProcess(args: string[], timeoutMs = 30_000): Promise<AgentProcess> {
  const child: ChildProcess = spawn(process.execPath, [agentBin, '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout! });
  const ready = new Promise<AgentReportDevice[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent not ready within ${timeoutMs} ms: ${errors}`)), timeoutMs);
    lines.on('line', (line) => {
      const report = JSON.parse(line) as { event: string; devices?: AgentReportDevice[] };
      if (report.event === 'ready') {
        clearTimeout(timer);
        resolve(report.devices ?? []);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`agent exited with ${code} before it was ready: ${errors}`));
    });
  });
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    return exited;
  };
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  try {
    return { devices: await ready, stderr: () => errors, stop, kill };
  } catch (error) {
    await stop();
    throw error;
  }
}
