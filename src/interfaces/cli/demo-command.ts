// `safeflash demo`: the whole method on embedded defaults. A virtual fleet (a few devices with injected
// faults) is backed up, upgraded to newly signed software, restored and verified over SNMP and TFTP,
// with a line per step as it happens and a summary at the end.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { isLoopback } from '../../agent/loopback-addresses.ts';
import { DeviceDriver } from '../../manager/device-driver.ts';
import { inspectImageHeader, packImage } from '../../protocol/image.ts';
import { mibPaths, moduleName } from '../../protocol/mib.ts';
import { netSnmpToolArguments } from '../../protocol/snmp/security.ts';
import { agentDefaults } from '../../agent/defaults.ts';
import { startDemoFleet, demoFaults } from './demo/demo-fleet.ts';
import { runDevice, type DemoRunResult } from './demo/demo-run.ts';
import { CommandFailure, ExitCode, integerOption } from './program.ts';

interface DemoOptions {
  devices: number;
  dataDir: string;
  baseAddress: string;
  snmpPort: number;
  concurrency: number;
  rebootMs: number;
  keepRunning?: boolean;
}

const newVersion = '1.1.0';

function table(results: DemoRunResult[]): string {
  const rows = [
    ['device', 'result', 'from', 'to', 'phases', 'retries', 'fallbacks', 'time'],
    ...results.map((r) => [
      r.device,
      r.outcome === 'verified' ? 'verified' : `FAILED (${r.failure?.phase}: ${r.failure?.reason})`,
      r.fromVersion,
      r.toVersion,
      String(r.phases.length),
      String(r.retries),
      String(r.fallbacks),
      `${(r.ms / 1000).toFixed(1)} s`,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

async function demo(options: DemoOptions): Promise<void> {
  const say = (text: string) => process.stdout.write(`${text}\n`);
  const started = Date.now();
  const stamp = () => `[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s]`;
  // Each demo starts from factory-new devices in a directory of its own; earlier demos are left as they were.
  const directory = resolve(options.dataDir, `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const user = { name: agentDefaults.user, authKey: agentDefaults.authKey, privKey: agentDefaults.privKey };

  say(`Safeflash demo: ${options.devices} virtual devices from ${options.baseAddress}, state in ${directory}`);
  for (const [n, fault] of Object.entries(demoFaults)) {
    if (Number(n) <= options.devices) say(`  device ${n}: ${fault.flags.join(' ')} — ${fault.shows}`);
  }
  const demoFleet = await startDemoFleet({
    devices: options.devices,
    baseAddress: options.baseAddress,
    snmpPort: options.snmpPort,
    directory,
    model: agentDefaults.model,
    user,
    rebootMs: options.rebootMs,
  }).catch((error: Error) => {
    throw new CommandFailure(`cannot start the demo fleet: ${error.message}`);
  });

  try {
    const imageFile = `${agentDefaults.model}-${newVersion}.sfimg`;
    const payload = Buffer.from(`Safeflash reference software for ${agentDefaults.model}, version ${newVersion}\n`, 'utf8');
    const image = packImage({ model: agentDefaults.model, version: newVersion, configFormat: 1 }, payload, demoFleet.vendorKey);
    writeFileSync(join(demoFleet.files.root, imageFile), image);
    const header = inspectImageHeader(image);
    say(`${stamp()} signed ${imageFile} (${header.model} ${header.version}); TFTP on ${demoFleet.files.endpoint.address}:${demoFleet.files.endpoint.port}, notifications to ${demoFleet.receiver.endpoint.address}:${demoFleet.receiver.endpoint.port}`);

    const queue = [...demoFleet.fleet.members];
    const results: DemoRunResult[] = [];
    const worker = async () => {
      for (let member = queue.shift(); member; member = queue.shift()) {
        let index = 0;
        const address = member.address;
        results.push(
          await runDevice({
            context: {
              driver: new DeviceDriver({ endpoint: { address, port: options.snmpPort }, security: demoFleet.security, sourceAddress: '127.0.0.1' }),
              device: address,
              files: demoFleet.files,
              notifications: demoFleet.notifications,
              notifyTarget: demoFleet.receiver.endpoint,
              nextIndex: () => ++index,
              timeouts: { transferMs: 30_000, bootMs: options.rebootMs + 30_000 },
              pollMs: 1000,
            },
            imageFile,
            image: header,
            attempts: 3,
            backoffMs: 300,
            onEvent: (text) => say(`${stamp()} ${address.padEnd(15)} ${text}`),
          }),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency, queue.length) }, worker));

    results.sort((a, b) => a.device.localeCompare(b.device, undefined, { numeric: true }));
    const verified = results.filter((r) => r.outcome === 'verified').length;
    say('');
    say(table(results));
    say('');
    say(`${verified} of ${results.length} devices verified on ${newVersion} with their configuration, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (verified !== results.length) process.exitCode = ExitCode.failure;

    if (options.keepRunning) {
      const mibs = `${mibPaths.directories.join(':')}:${resolve('node_modules/net-snmp/lib/mibs')}`;
      say(`the fleet keeps running; try: snmpwalk ${netSnmpToolArguments(demoFleet.security).join(' ')} -M ${mibs} -m ${moduleName} ${options.baseAddress}:${options.snmpPort} safeflashMIB`);
      say('stop with Ctrl-C');
      await new Promise((done) => {
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
    }
  } finally {
    await demoFleet.stop();
  }
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the safe upgrade method on a virtual fleet: backup, upgrade, restore, verify')
    .option('--devices <n>', 'number of virtual devices', integerOption(1, 1000), 10)
    .option('--data-dir <dir>', 'where the demo keeps its devices and files (a new directory per demo)', './data')
    .option('--base-address <address>', 'loopback address of the first device', (v: string) => {
      if (!isLoopback(v)) throw new InvalidArgumentError(`expected an IPv4 loopback address (127.0.0.0/8), got "${v}"`);
      return v;
    }, '127.0.2.1')
    .option('--snmp-port <port>', 'UDP port of the devices\' SNMP agents', integerOption(1, 65535), 16110)
    .option('--concurrency <n>', 'devices upgraded at the same time', integerOption(1, 1000), 5)
    .option('--reboot-ms <ms>', 'how long a device takes to reboot', integerOption(0, 600_000), 1500)
    .option('--keep-running', 'keep the fleet up after the demo, for snmpwalk and friends')
    .action(async (options: DemoOptions) => demo(options));
}
