// `safeflash-agent`: a fleet of virtual devices (IADs, or other families' equipment), each on its own
// loopback address with its own SNMP agent answering as its family, until SIGINT or SIGTERM.
// Defaults (src/agent/defaults.ts) work out of the box; --community adds SNMPv2c.
import { kindsOf } from './agent-families.ts';
import { familiesOption, familyOption, type FamilyShare } from './family-options.ts';
import { familyNames, type FamilyName } from '../../families/family.ts';
import { isIPv4 } from 'node:net';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { Fleet, type FleetMember } from '../../agent/fleet.ts';
import { faultPlanFor, FaultPlanError, loadScenario, mergeFaultPlans, parseFaultFlags, type FaultPlan } from '../../agent/faults.ts';
import { isLoopback } from '../../agent/loopback-addresses.ts';
import type { Endpoint } from '../../protocol/endpoint.ts';
import { ensureVendorSoftware, readFactorySoftware, type FactorySoftware } from '../../agent/vendor-key.ts';
import { moduleName, toolMibDirectories } from '../../protocol/mib.ts';
import { minimumKeyLength, netSnmpToolArguments, type SnmpSecurity, type UsmUser } from '../../protocol/snmp/security.ts';
import { CommandFailure, createProgram, integerOption, runProgram } from './program.ts';
import { agentDefaults } from '../../agent/defaults.ts';

/** Above this many devices, the start-up report is a summary instead of a line per device. */
const maxListedDevices = 20;

interface AgentCommandOptions {
  devices: number;
  baseAddress: string;
  port: number;
  stateDir: string;
  model: string;
  community?: string;
  user: string;
  authKey: string;
  privKey: string;
  notify?: Endpoint;
  notifyVersion: 'v3' | 'v2c';
  rebootMs: number;
  rebootRequired: boolean;
  flushWrites: boolean;
  faults?: string;
  fault: string[];
  trustedKey?: string;
  factoryImage?: string;
  family: FamilyName;
  families?: FamilyShare[];
  tftpPort: number;
  ftpPort: number;
  json?: boolean;
}

function loopbackOption(value: string): string {
  if (!isLoopback(value)) throw new InvalidArgumentError(`expected an IPv4 loopback address (127.0.0.0/8), got "${value}"`);
  return value;
}

function endpointOption(value: string): Endpoint {
  const match = /^(.+):(\d+)$/.exec(value);
  if (!match || !isIPv4(match[1]!) || Number(match[2]) < 1 || Number(match[2]) > 65535) {
    throw new InvalidArgumentError(`expected ADDRESS:PORT, e.g. 127.0.0.1:16200, got "${value}"`);
  }
  if (!isLoopback(match[1]!)) throw new InvalidArgumentError(`virtual devices only send to loopback addresses, got "${match[1]}"`);
  return { address: match[1]!, port: Number(match[2]) };
}

function keyOption(value: string): string {
  if (value.length < minimumKeyLength) throw new InvalidArgumentError(`a key needs at least ${minimumKeyLength} characters`);
  return value;
}

function textOption(value: string): string {
  if (value.length === 0 || value.length > 64) throw new InvalidArgumentError('expected 1 to 64 characters');
  return value;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function faultPlans(options: AgentCommandOptions): (device: number) => FaultPlan {
  try {
    const scenario = options.faults ? loadScenario(options.faults) : undefined;
    const flags = parseFaultFlags(options.fault);
    return (device) => mergeFaultPlans(scenario ? faultPlanFor(scenario, device) : {}, flags);
  } catch (error) {
    if (error instanceof FaultPlanError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

function factorySoftware(options: AgentCommandOptions): FactorySoftware {
  if ((options.trustedKey === undefined) !== (options.factoryImage === undefined)) {
    throw new InvalidArgumentError('--trusted-key and --factory-image go together');
  }
  try {
    return options.trustedKey && options.factoryImage
      ? readFactorySoftware(options.trustedKey, options.factoryImage)
      : ensureVendorSoftware(options.stateDir, options.model);
  } catch (error) {
    throw new CommandFailure(`cannot prepare the factory software: ${(error as Error).message}`);
  }
}

function describeMember(member: FleetMember, port: number) {
  const status = member.device.answering ? member.device.status() : undefined;
  return {
    number: member.number,
    family: member.family,
    address: member.address,
    port,
    serial: member.serial,
    model: member.device.model,
    runningVersion: status?.runningVersion ?? '',
    engineId: member.agent?.engineId.toString('hex') ?? '',
    stateDir: member.device.stateDir,
  };
}

function snmpgetExample(security: SnmpSecurity, address: string, port: number): string {
  const mibs = toolMibDirectories().join(':');
  return ['snmpget', ...netSnmpToolArguments(security), '-M', mibs, '-m', moduleName, `${address}:${port}`, 'sfRunningVersion.0'].join(' ');
}

/** Problems spotted only once options are combined are usage errors too (exit 2, message on stderr). */
async function run(options: AgentCommandOptions, command: Command): Promise<void> {
  try {
    await runFleet(options);
  } catch (error) {
    if (error instanceof InvalidArgumentError) command.error(`error: ${error.message}`, { exitCode: 2 });
    throw error;
  }
}

async function runFleet(options: AgentCommandOptions): Promise<void> {
  const user: UsmUser = { name: options.user, authKey: options.authKey, privKey: options.privKey };
  if (options.notifyVersion === 'v2c' && !options.community) throw new InvalidArgumentError('--notify-version v2c needs --community');
  const notifySecurity: SnmpSecurity = options.notifyVersion === 'v2c' ? { version: 'v2c', community: options.community! } : { version: 'v3', user };
  const faults = faultPlans(options);
  const software = factorySoftware(options);
  const shares = options.families ?? [{ family: options.family, devices: options.devices }];
  const mixed = shares.some(({ family }) => family !== 'safeflash');
  if (mixed && options.trustedKey)
    throw new InvalidArgumentError(
      "--trusted-key and --factory-image serve the reference IAD only; other families sign their factory images with the state directory's vendor key",
    );
  const deviceCount = shares.reduce((sum, share) => sum + share.devices, 0);
  const say = (text: string) => process.stdout.write(`${text}\n`);
  const log = (event: string, fields: object) => process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);

  let fleet: Fleet;
  try {
    fleet = await Fleet.start({
      devices: deviceCount,
      ...(mixed
        ? {
            kindOf: kindsOf(shares, options.model, (model) => ensureVendorSoftware(options.stateDir, model), {
              tftpPort: options.tftpPort,
              ftpPort: options.ftpPort,
            }),
          }
        : {}),
      baseAddress: options.baseAddress,
      port: options.port,
      stateDir: options.stateDir,
      model: options.model,
      software,
      users: [user],
      communities: options.community ? [options.community] : [],
      notifySecurity,
      ...(options.notify ? { notifyTarget: options.notify } : {}),
      rebootMs: options.rebootMs,
      rebootRequired: options.rebootRequired,
      flushWrites: options.flushWrites,
      faults,
      onFault: (device, fault) => log('fault', { device, fault }),
      onNotification: (member, outcome) => {
        if (outcome.delivery !== 'inform' && outcome.delivery !== 'noTarget') log('notification', { device: member.address, ...outcome });
      },
    });
  } catch (error) {
    throw new CommandFailure(`cannot start the devices: ${(error as Error).message}`);
  }

  const devices = fleet.members.map((m) => describeMember(m, options.port));
  if (options.json) {
    say(
      JSON.stringify({
        event: 'ready',
        port: options.port,
        stateDir: path.resolve(options.stateDir),
        user: options.user,
        community: options.community ?? null,
        devices,
      }),
    );
  } else {
    const listed = devices.length <= maxListedDevices ? devices : [devices[0]!, devices[devices.length - 1]!];
    if (devices.length > maxListedDevices)
      say(`${devices.length} devices from ${devices[0]!.address} to ${devices[devices.length - 1]!.address}, port ${options.port} (first and last):`);
    for (const d of listed)
      say(`device ${d.number}  ${d.address}:${d.port}  ${d.family} ${d.model} ${d.serial}  running ${d.runningVersion}  engineID ${d.engineId}`);
    say(
      `SNMPv3 user ${options.user} (authPriv SHA-256 / AES; auth key "${options.authKey}", priv key "${options.privKey}")` +
        (options.community ? `; SNMPv2c community "${options.community}"` : ''),
    );
    say(`try: ${snmpgetExample({ version: 'v3', user }, devices[0]!.address, options.port)}`);
    say('running until SIGINT or SIGTERM');
  }

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await fleet.stop();
  if (options.json) say(JSON.stringify({ event: 'stopped', signal }));
  else say(`stopped (${signal})`);
}

const program = createProgram('safeflash-agent', 'Reference device agent: runs virtual IADs on loopback addresses')
  .option('--devices <n>', 'number of virtual devices', integerOption(1, 10_000), agentDefaults.devices)
  .option('--base-address <address>', 'address of the first device; the others follow', loopbackOption, agentDefaults.baseAddress)
  .option('--port <port>', "UDP port of every device's SNMP agent", integerOption(1, 65535), agentDefaults.port)
  .option('--state-dir <dir>', 'where devices keep their banks and configuration (one directory per address)', agentDefaults.stateDir)
  .option('--model <model>', 'hardware model of the devices', textOption, agentDefaults.model)
  .option('--community <name>', 'also accept SNMPv2c with this community (read-write)', textOption)
  .option('--user <name>', 'SNMPv3 user (authPriv, SHA-256 / AES)', textOption, agentDefaults.user)
  .option('--auth-key <key>', 'SNMPv3 authentication pass phrase', keyOption, agentDefaults.authKey)
  .option('--priv-key <key>', 'SNMPv3 privacy pass phrase', keyOption, agentDefaults.privKey)
  .option('--notify <address:port>', 'notification target written to every device at start', endpointOption)
  .option(
    '--notify-version <version>',
    'send notifications with SNMPv3 (v3) or the community (v2c)',
    (v) => {
      if (v !== 'v3' && v !== 'v2c') throw new InvalidArgumentError('expected v3 or v2c');
      return v;
    },
    'v3',
  )
  .option('--reboot-ms <ms>', 'how long a reboot takes (the device is silent meanwhile)', integerOption(0, 3_600_000), agentDefaults.rebootMs)
  .option('--no-reboot-required', 'devices apply new software at the end of the download, without a reboot')
  .option(
    '--no-flush-writes',
    "devices replace their files atomically without flushing them to the disk: a device's power cut and the agent being killed lose nothing, the host losing power may (for large fleets)",
  )
  .option('--faults <file>', 'fault scenario (JSON): device selectors to fault plans')
  .option('--fault <flag>', 'fault for every device, e.g. drop-notifications=0.5 (repeatable)', collect, [] as string[])
  .option('--trusted-key <file>', 'vendor public key the devices trust (with --factory-image)')
  .option('--factory-image <file>', 'signed image in bank A of a new device (with --trusted-key)')
  .option('--family <name>', `family every device answers as: ${familyNames.join(', ')}`, familyOption, 'safeflash' as FamilyName)
  .option('--families <mix>', 'a mix of families in device order, e.g. safeflash=5,docsis=5 (instead of --family and --devices)', familiesOption)
  .option('--tftp-port <port>', 'TFTP port for devices that cannot name one (DOCSIS modems and IOS ask port 69)', integerOption(1, 65535), 69)
  .option('--ftp-port <port>', 'FTP port for devices that cannot name one (IOS asks port 21)', integerOption(1, 65535), 21)
  .option('--json', 'print the start-up report and the end as JSON lines')
  .action(async (options: AgentCommandOptions, command: Command) => run(options, command));

await runProgram(program);
