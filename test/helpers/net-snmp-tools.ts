// Net-SNMP's command-line tools (snmpget, snmpset, snmpwalk, snmptrapd) as test peers: arguments for
// our MIB and security, a runner that never throws on a non-zero exit, and snmptrapd as a child.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { mibPaths, moduleName } from '../../src/protocol/mib.ts';
import { netSnmpToolArguments, type SnmpSecurity } from '../../src/protocol/snmp/security.ts';
import { findProgram, missing } from './tools.ts';

/** Reason to skip when Net-SNMP's manager tools are absent, else false. */
export const netSnmpMissing = missing('snmpget', 'snmpset', 'snmpwalk');
export const snmptrapdMissing = missing('snmptrapd');

const netSnmpMibs = fileURLToPath(new URL('../../node_modules/net-snmp/lib/mibs', import.meta.url));

/** -M/-m so that the tools know SAFEFLASH-MIB and what it imports (Debian ships no IETF MIBs). */
export function mibArguments(): string[] {
  return ['-M', [...mibPaths.directories, netSnmpMibs].join(':'), '-m', moduleName];
}

/** Security, MIB and a short timeout: the arguments every request in a test starts with. */
export function requestArguments(security: SnmpSecurity): string[] {
  return [...netSnmpToolArguments(security), ...mibArguments(), '-t', '1', '-r', '1'];
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runTool(tool: string, args: string[], timeoutMs = 20_000): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile(tool, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface Snmptrapd {
  /** Everything it printed so far. */
  output(): string;
  /** Resolves once its output matches, or rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string>;
  stop(): Promise<void>;
}

/**
 * snmptrapd in the foreground, logging to stdout, with only the configuration we give it (-C -c), on a
 * loopback address. `config` lines: authCommunity, createUser, authUser...
 */
export async function startSnmptrapd(configFile: string, config: string[], listen: string): Promise<Snmptrapd> {
  await writeFile(configFile, `${config.join('\n')}\n`);
  const program = findProgram('snmptrapd');
  if (!program) throw new Error('snmptrapd is not installed');
  const child: ChildProcess = spawn(program, ['-f', '-Lo', '-C', '-c', configFile, ...mibArguments(), '-p', `${configFile}.pid`, listen], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const waitFor = async (pattern: RegExp, timeoutMs: number): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (pattern.test(text)) return text;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`snmptrapd did not print ${pattern} within ${timeoutMs} ms; it printed:\n${text}`);
  };
  await waitFor(/NET-SNMP version/, 10_000);
  return {
    output: () => text,
    waitFor,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
