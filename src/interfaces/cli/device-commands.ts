// `safeflash device ...`: the inventory of the manager at --server. Credentials go to the manager and
// are never printed back. Adds, discoveries and refreshes are recorded as --operator's (default: the
// login name), as runs are; an import and a removal as the holder of the token used, as an image upload.
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { importFormatOf } from '../../manager/inventory/import-file.ts';
import { familyNames } from '../../families/family.ts';
import { transferProtocols } from '../../protocol/transfer-contract.ts';
import type { DeviceJson } from './api-types.ts';
import { ApiClient, serverOption, withManager } from './api-client.ts';
import { operatorName, operatorOption } from './operator-name.ts';
import { CommandFailure, UsageFailure, integerOption } from './program.ts';
import { formatTable, printJson, when } from './table.ts';
import { viewCommand } from './view-command.ts';

interface CredentialOptions {
  port?: number;
  v3User?: string;
  authKey?: string;
  privKey?: string;
  community?: string;
  tag?: string[];
  transport?: string;
  family?: string;
}

function addCredentialOptions(command: Command): Command {
  return command
    .option('--port <port>', "UDP port of the device's SNMP agent (default 16100)", integerOption(1, 65535))
    .option('--v3-user <name>', 'SNMPv3 user (authPriv, SHA-256/AES); needs --auth-key and --priv-key')
    .option('--auth-key <key>', 'SNMPv3 authentication pass phrase')
    .option('--priv-key <key>', 'SNMPv3 privacy pass phrase')
    .addOption(new Option('--community <community>', 'SNMPv2c community instead of an SNMPv3 user').conflicts(['v3User', 'authKey', 'privKey']))
    .option('--tag <tag>', 'a tag for grouping devices; repeat for several', collect);
}

function credentials(options: CredentialOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (options.port !== undefined) body.port = options.port;
  if (options.v3User !== undefined) body.v3User = options.v3User;
  if (options.authKey !== undefined) body.authKey = options.authKey;
  if (options.privKey !== undefined) body.privKey = options.privKey;
  if (options.community !== undefined) body.community = options.community;
  if (options.tag) body.tags = options.tag;
  if (options.transport !== undefined) body.transport = options.transport;
  if (options.family !== undefined) body.family = options.family;
  return body;
}

function describe(device: DeviceJson): string {
  const reading = device.model
    ? `, ${device.family} ${device.model} running ${device.runningVersion} (config format ${device.configFormat}, bank ${device.activeBank})`
    : '';
  return `${device.name} (id ${device.id}) at ${device.address}:${device.port}, SNMP${device.securityModel}${reading}`;
}

/** "A:1.0.0 B:2.0.0", with "-" for an empty bank and "!" after an invalid one. */
function bankSummary(device: DeviceJson): string {
  if (!device.banks) return '-';
  return device.banks.map((b) => `${b.bank.replace(/^bank/, '')}:${b.state === 'empty' ? '-' : b.state === 'invalid' ? `${b.version}!` : b.version}`).join(' ');
}

export function deviceTable(devices: DeviceJson[]): string {
  return formatTable(
    ['ID', 'NAME', 'ADDRESS', 'SNMP', 'FAMILY', 'MODEL', 'VERSION', 'BANK', 'FORMAT', 'BANKS', 'TAGS', 'LAST SEEN'],
    devices.map((d) => [
      String(d.id),
      d.name,
      `${d.address}:${d.port}`,
      d.securityModel,
      d.family,
      d.model ?? '-',
      d.runningVersion ?? '-',
      d.activeBank ?? '-',
      d.configFormat === null ? '-' : String(d.configFormat),
      bankSummary(d),
      d.tags.join(',') || '-',
      when(d.lastSeenAt),
    ]),
  );
}

export function registerDeviceCommands(program: Command): void {
  const device = program.command('device').description('the inventory: devices the manager may upgrade');

  addCredentialOptions(
    device
      .command('add')
      .description("add a device (without --v3-user or --community: the reference agent's laboratory user)")
      .argument('<address>', "the device's IPv4 or IPv6 address, inside the networks the manager may talk to (serve --allow-networks)")
      .option('--name <name>', 'a name for the device (default: its address)'),
  )
    .addOption(
      new Option('--transport <transport>', "how the device moves files unless a run or its campaign says (default: the manager's)").choices([
        ...transferProtocols,
      ]),
    )
    .addOption(new Option('--family <family>', 'which family drives the device (default: the reference IAD)').choices([...familyNames]))
    .addOption(operatorOption())
    .option('--json', 'print JSON')
    .addOption(serverOption())
    .action(async (address: string, options: CredentialOptions & { name?: string; operator?: string; json?: boolean; server: string }) => {
      const api = new ApiClient(options.server);
      const body = { address, ...(options.name ? { name: options.name } : {}), ...credentials(options), operator: operatorName(options.operator) };
      const added = await withManager(() => api.post<DeviceJson>('/api/devices', { body }));
      if (options.json) printJson(added);
      else process.stdout.write(`added ${describe(added)}\n`);
    });

  addCredentialOptions(
    device
      .command('discover')
      .description('read every address of a block (at most an IPv4 /16 or IPv6 /112) over SNMP and add the devices that answer')
      .argument('<cidr>', 'a block inside the networks the manager may talk to (serve --allow-networks), e.g. 127.0.1.0/24'),
  )
    .option('--concurrency <n>', 'addresses asked at the same time', integerOption(1, 256), 64)
    .option('--timeout-ms <ms>', 'how long each address has to answer', integerOption(50, 30_000), 1000)
    .addOption(operatorOption())
    .option('--json', 'print JSON')
    .addOption(serverOption())
    .action(
      async (cidr: string, options: CredentialOptions & { concurrency: number; timeoutMs: number; operator?: string; json?: boolean; server: string }) => {
        const api = new ApiClient(options.server);
        const report = await withManager(() =>
          api.post<{
            cidr: string;
            scanned: number;
            found: Array<{ device: DeviceJson; added: boolean }>;
            unreadable: Array<{ address: string; error: string }>;
          }>('/api/devices/discover', {
            body: { cidr, concurrency: options.concurrency, timeoutMs: options.timeoutMs, ...credentials(options), operator: operatorName(options.operator) },
            timeoutMs: 3_600_000,
          }),
        );
        if (options.json) {
          printJson(report);
          return;
        }
        const added = report.found.filter((f) => f.added).length;
        process.stdout.write(
          `${report.cidr}: ${report.scanned} addresses asked, ${report.found.length} devices answered (${added} added, ${report.found.length - added} already known)\n`,
        );
        if (report.found.length > 0) process.stdout.write(deviceTable(report.found.map((f) => f.device)));
        for (const u of report.unreadable) process.stdout.write(`${u.address}: answered but could not be read: ${u.error}\n`);
      },
    );

  viewCommand<DeviceJson[]>(device, {
    name: 'list',
    description: 'list the devices of the inventory (never their credentials)',
    path: () => '/api/devices',
    text: (devices) =>
      devices.length === 0 ? 'no devices; add some with `safeflash device add`, `device discover` or `device import`\n' : deviceTable(devices),
  });

  device
    .command('refresh')
    .description('read devices again over SNMP (model, versions, banks, configuration format) and record when they were seen')
    .argument('<device...>', 'device ids, names or addresses')
    .addOption(operatorOption())
    .option('--json', 'print JSON')
    .addOption(serverOption())
    .action(async (references: string[], options: { operator?: string; json?: boolean; server: string }) => {
      const api = new ApiClient(options.server);
      const body = { operator: operatorName(options.operator) };
      const refreshed: DeviceJson[] = [];
      const failures: string[] = [];
      for (const reference of references) {
        try {
          refreshed.push(await withManager(() => api.post<DeviceJson>(`/api/devices/${encodeURIComponent(reference)}/refresh`, { body })));
        } catch (error) {
          // An unknown device is a usage error (exit 2) at once; a device that does not answer is reported with the others.
          if (!(error instanceof CommandFailure)) throw error;
          failures.push(`${reference}: ${error.message}`);
        }
      }
      if (options.json) printJson(refreshed);
      else if (refreshed.length > 0) process.stdout.write(deviceTable(refreshed));
      if (failures.length > 0) throw new CommandFailure(`${failures.length} of ${references.length} not refreshed: ${failures.join('; ')}`);
    });

  device
    .command('remove')
    .description('remove a device from the inventory (refused while it has runs or backups on record)')
    .argument('<device>', 'device id, name or address')
    .addOption(serverOption())
    .action(async (reference: string, options: { server: string }) => {
      const api = new ApiClient(options.server);
      const removed = await withManager(() => api.delete<DeviceJson>(`/api/devices/${encodeURIComponent(reference)}`));
      process.stdout.write(`removed ${removed.name} (id ${removed.id}) at ${removed.address}:${removed.port}\n`);
    });

  device
    .command('import')
    .description(
      'add the devices listed in a CSV (header row: address,port,name,v3_user,auth_key,priv_key,community,tags,transport) or YAML file: all of them, or none if a row is wrong',
    )
    .argument('<file>', 'a .csv, .yaml or .yml file')
    .addOption(new Option('--format <format>', 'file format, when the extension does not say').choices(['csv', 'yaml']))
    .option('--json', 'print JSON')
    .addOption(serverOption())
    .action(async (file: string, options: { format?: 'csv' | 'yaml'; json?: boolean; server: string }) => {
      const format = options.format ?? importFormatOf(file);
      if (!format) throw new UsageFailure(`cannot tell the format of ${file} from its name; give --format csv or --format yaml`);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        throw new CommandFailure(`cannot read ${file}: ${(error as Error).message}`);
      }
      const api = new ApiClient(options.server);
      const result = await withManager(() =>
        api.post<{ added: DeviceJson[] }>('/api/devices/import', { raw: { data: text, contentType: format === 'csv' ? 'text/csv' : 'application/yaml' } }),
      );
      if (options.json) printJson(result.added);
      else process.stdout.write(`imported ${result.added.length} device${result.added.length === 1 ? '' : 's'} from ${file}\n${deviceTable(result.added)}`);
    });
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
