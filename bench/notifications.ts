// How many notifications per second a receiver takes in without losing one: ours (NotificationReceiver,
// each notification decoded by the device families, in a process of its own as in the manager) and
// Net-SNMP's snmptrapd (logging each one), side by side in one run. For each rate, rising, this process
// sends a burst of `--seconds` at that rate to each receiver in turn (SNMPv2c traps, then informs, the
// same datagrams to both: a SAFEFLASH-MIB operation completion as a device sends it) and counts what each
// receiver took in (and, for informs, the acknowledgements that came back). A receiver that loses any at
// a rate is not tried at higher ones. Prints a line per burst and the highest lossless rate of each.
//
//   node --import tsx bench/notifications.ts [--rates 1000,2000,4000,8000,16000,32000] [--seconds 2]
//
// Bounded: every burst lasts --seconds, every drain at most 5 s; both receivers are stopped at the end.
// Loopback only. Without snmptrapd (Debian package snmptrapd) only ours is measured, and it says so.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { sampleCompletion } from './fixtures/completion.ts';
import { freePort } from '../test/helpers/kill-manager.ts';
import { sentNotification } from '../test/helpers/sent-notification.ts';
import { findProgram } from '../test/helpers/tools.ts';

const { values: args } = parseArgs({
  options: {
    rates: { type: 'string', default: '1000,2000,4000,8000,16000,32000' },
    seconds: { type: 'string', default: '2' },
  },
});
const rates = args.rates!.split(',').map(Number);
const seconds = Number(args.seconds);
if (rates.some((r) => !Number.isInteger(r) || r < 1 || r > 200_000) || !(seconds > 0 && seconds <= 10)) {
  process.stderr.write('--rates: whole numbers from 1 to 200000, comma-separated; --seconds: above 0, at most 10\n');
  process.exit(2);
}
const command = ['node --import tsx bench/notifications.ts', ...process.argv.slice(2)].join(' ');
const say = (text: string) => process.stdout.write(`${text}\n`);
const note = (text: string) => process.stderr.write(`[notifications bench] ${text}\n`);

type Kind = 'trap' | 'inform';

/** A receiver under test: where it listens, and how many notifications it has taken in so far. */
interface Receiver {
  name: string;
  port: number;
  count(): Promise<number>;
  stop(): Promise<void>;
}

/** One datagram of each kind, as our agent's session encodes them. */
async function capturePackets(): Promise<Record<Kind, Buffer>> {
  const completion = sampleCompletion(new Date());
  const security = { version: 'v2c', community: 'public' } as const;
  return {
    trap: await sentNotification('trap', security, completion.oid, completion.varbinds),
    inform: await sentNotification('inform', security, completion.oid, completion.varbinds),
  };
}

async function ourReceiver(): Promise<Receiver> {
  const child = fork(join(import.meta.dirname, 'notifications', 'receiver-child.ts'), ['0'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`our receiver exited (${code})`)));
  });
  return {
    name: 'safeflash',
    port,
    count: () =>
      new Promise((resolve) => {
        child.once('message', (m: { decoded: number }) => resolve(m.decoded));
        child.send({ ask: 'count' });
      }),
    stop: () => stopChild(child, () => child.send({ ask: 'stop' })),
  };
}

async function snmptrapd(program: string, dir: string): Promise<Receiver> {
  const port = await freePort('127.0.0.1', 'udp');
  const conf = join(dir, 'snmptrapd.conf');
  writeFileSync(conf, 'authCommunity log public\n');
  // -Lo: log to standard output, one "T" line per notification (-F); no MIBs loaded, no name lookups.
  const child = spawn(program, ['-f', '-C', '-c', conf, '-n', '-Lo', '-m', '', '-M', '/dev/null', '-F', 'T\n', `udp:127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let lines = 0;
  child.stdout!.on('data', (chunk: Buffer) => {
    for (const byte of chunk) if (byte === 0x0a) lines += 1;
  });
  let started = '';
  child.stderr!.on('data', (chunk: Buffer) => (started += chunk.toString()));
  // It prints its version line when it listens.
  for (let i = 0; i < 100 && lines === 0; i++) await sleep(50);
  if (lines === 0) throw new Error(`snmptrapd did not start: ${started.slice(0, 300)}`);
  const baseline = lines;
  return { name: 'snmptrapd', port, count: async () => lines - baseline, stop: () => stopChild(child, () => child.kill('SIGTERM')) };
}

async function stopChild(child: ChildProcess, ask: () => void): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  ask();
  await Promise.race([exited, sleep(3000).then(() => child.kill('SIGKILL'))]);
}

interface Burst {
  sent: number;
  taken: number;
  acknowledged: number | undefined;
  achievedRate: number;
}

/** Sends `rate` datagrams a second for `seconds`, evenly over each millisecond, then waits for the count to settle. */
async function burst(receiver: Receiver, packet: Buffer, kind: Kind, rate: number): Promise<Burst> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  let acknowledged = 0;
  socket.on('message', () => (acknowledged += 1));
  const before = await receiver.count();
  const total = Math.round(rate * seconds);
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
    for (; sent < due; sent++) socket.send(packet, receiver.port, '127.0.0.1');
    await new Promise((resolve) => setImmediate(resolve));
  }
  const achievedRate = total / ((performance.now() - started) / 1000);
  // Drained when the count stops moving for half a second (at most 5 s).
  let taken = (await receiver.count()) - before;
  for (let waited = 0; waited < 5000; waited += 500) {
    await sleep(500);
    const now = (await receiver.count()) - before;
    if (now === taken && (kind === 'trap' || acknowledged >= now)) break;
    taken = now;
  }
  socket.close();
  return { sent: total, taken, acknowledged: kind === 'inform' ? acknowledged : undefined, achievedRate };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sf-bench-notifications-'));
  const receivers: Receiver[] = [];
  try {
    const packets = await capturePackets();
    receivers.push(await ourReceiver());
    const program = findProgram('snmptrapd');
    if (program) receivers.push(await snmptrapd(program, dir));
    else note('snmptrapd not found (Debian package snmptrapd): only our receiver is measured');
    say(`$ ${command}`);
    say(
      `SNMPv2c, one ${packets.trap.length}-byte trap / ${packets.inform.length}-byte inform datagram (sfOpCompletionNotification), ${seconds} s per burst, loopback; load average at start ${loadavg()[0]!.toFixed(2)}`,
    );
    const best = new Map<string, number>();
    const lossy = new Set<string>();
    for (const rate of rates) {
      for (const kind of ['trap', 'inform'] as const) {
        for (const receiver of receivers) {
          const key = `${receiver.name} ${kind}`;
          if (lossy.has(key)) continue;
          const result = await burst(receiver, packets[kind], kind, rate);
          const lost = result.sent - result.taken;
          const unacknowledged = result.acknowledged === undefined ? 0 : result.sent - result.acknowledged;
          const ok = lost === 0 && unacknowledged === 0;
          say(
            `${kind.padEnd(6)} ${String(rate).padStart(6)}/s (sent at ${Math.round(result.achievedRate)}/s) ${receiver.name.padEnd(9)}: took in ${result.taken} of ${result.sent}${result.acknowledged === undefined ? '' : `, acknowledged ${result.acknowledged}`}${ok ? '' : ' LOST'}`,
          );
          if (ok && result.achievedRate >= rate * 0.95) best.set(key, rate);
          if (!ok) lossy.add(key);
        }
      }
    }
    say('highest lossless rate (notifications per second; the rates tried above):');
    for (const kind of ['trap', 'inform'] as const) {
      const ours = best.get(`safeflash ${kind}`) ?? 0;
      const theirs = best.get(`snmptrapd ${kind}`);
      const more = lossy.has(`safeflash ${kind}`) ? '' : ' (no loss at the highest rate tried)';
      say(`  ${kind}: safeflash ${ours}${more}${theirs === undefined ? '' : `, snmptrapd ${theirs}, ratio ${(ours / Math.max(1, theirs)).toFixed(2)}x`}`);
    }
  } finally {
    for (const receiver of receivers) await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
