// `safeflash mib ...`: what an operator needs to use SAFEFLASH-MIB with other programs, Net-SNMP's
// tools first.
import type { Command } from 'commander';

export function registerMibCommands(program: Command): void {
  const mib = program.command('mib').description('SAFEFLASH-MIB for other programs (Net-SNMP tools, smilint)');
  mib
    .command('path')
    .description("print the MIB directories Net-SNMP's tools need to load SAFEFLASH-MIB, joined for -M (or MIBDIRS)")
    .action(async () => {
      // Loaded on use: reading the MIB is work the other commands do not need.
      const { toolMibDirectories } = await import('../../protocol/mib.ts');
      process.stdout.write(`${toolMibDirectories().join(':')}\n`);
    });
}
