// `safeflash demo`: the whole product on embedded defaults. A virtual fleet (a few devices with injected
// faults) and a manager with its own PostgreSQL start in this process; every device is upgraded by a
// durable run (backup, upgrade, migrate, restore, verify) to newly signed software that wants the next
// configuration format, with a line per step as it happens and a summary at the end.
import { InvalidArgumentError, type Command } from 'commander';
import { isLoopback } from '../../agent/loopback-addresses.ts';
import { familiesOption } from './family-options.ts';
import type { DemoOptions } from './demo/demo-run.ts';
import { integerOption } from './program.ts';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('upgrade a virtual fleet with the safe method on embedded defaults: backup, upgrade, migrate, restore, verify')
    .option(
      '--devices <n>',
      'number of virtual devices: one in six each a Huawei VRP device, an IOS router, a DOCSIS modem; the others reference IADs',
      integerOption(1, 1000),
      24,
    )
    .option('--families <mix>', 'the fleet family by family instead, e.g. safeflash=6,huawei=2,cisco-ios=2,docsis=2', familiesOption)
    .option('--data-dir <dir>', 'where the demo keeps its devices, database and files (a new directory per demo)', './data')
    .option(
      '--base-address <address>',
      'loopback address of the first device',
      (v: string) => {
        if (!isLoopback(v)) throw new InvalidArgumentError(`expected an IPv4 loopback address (127.0.0.0/8), got "${v}"`);
        return v;
      },
      '127.0.2.1',
    )
    .option('--snmp-port <port>', "UDP port of the devices' SNMP agents", integerOption(1, 65535), 16110)
    .option('--reboot-ms <ms>', 'how long a device takes to reboot', integerOption(0, 600_000), 1500)
    .option('--database-port <port>', "TCP port of the manager's embedded PostgreSQL, on 127.0.0.1 (default: a free one)", integerOption(1, 65535))
    .option('--keep-running', 'keep the manager and the fleet up after the demo')
    .action(async (options: DemoOptions) => (await import('./demo/demo-run.ts')).demo(options));
}
