// `safeflash serve`: the manager. Runs until SIGINT or SIGTERM, then stops every part in order
// (HTTP, workflows, receiver, file service, PostgreSQL), so that a restart resumes every run.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { isIP } from 'node:net';
import { checkUsmUser, type UsmUser } from '../../protocol/snmp/security.ts';
import { ListenerError } from '../../manager/startup/free-ports.ts';
import { managerDefaults } from '../../manager/manager-defaults.ts';
import { defaultMembershipTiming } from '../../manager/membership/membership.ts';
import { defaultRunQueueLimits } from '../../manager/procedure/run-queue-limits.ts';
import { AllowedNetworks, allowNetworksOption, loopbackNetworks } from '../../manager/inventory/allowed-networks.ts';
import type { ServeOptions as ServedManagerOptions } from '../http/serve.ts';
import { timeoutsOf } from '../../manager/procedure/timeouts.ts';
import type { TimeLimits } from '../../manager/store/records.ts';
import type { TransferProtocol } from '../../protocol/transfer-contract.ts';
import { CommandFailure, integerOption, UsageFailure } from './program.ts';
import { passivePorts, timeLimitsOption, transportOption } from './run-options-option.ts';

interface ServeOptions {
  dataDir: string;
  databaseUrl?: string;
  databasePort?: number;
  secretsKey?: string;
  tlsCert?: string;
  tlsKey?: string;
  httpAddress: string;
  httpPort: number;
  snmpAddress: string;
  snmpPort: number;
  snmpUser?: UsmUser[];
  snmpCommunity?: string[];
  snmpSource: string;
  tftpAddress: string;
  tftpPort: number;
  ftpAddress: string;
  ftpPort: number;
  ftpPassivePorts?: { min: number; max: number };
  transport?: TransferProtocol;
  timeLimits?: Partial<TimeLimits>;
  trustedKey?: string[];
  allowNetworks: string[];
  heartbeatSeconds?: number;
  deadAfterSeconds?: number;
  maxRuns?: number;
  maxRunsPerManager?: number;
}

/** One IPv4 or IPv6 address of this machine (whether it is one, binding tells at start). */
function ipAddress(value: string): string {
  if (isIP(value) === 0 || value === '0.0.0.0' || value === '::') throw new InvalidArgumentError(`expected one IPv4 or IPv6 address, got "${value}"`);
  return value;
}

/** NAME:AUTHKEY:PRIVKEY, the way one SNMPv3 user fits on a command line. */
function usmUser(value: string, previous: UsmUser[] | undefined): UsmUser[] {
  const [name, authKey, privKey, ...rest] = value.split(':');
  if (!name || authKey === undefined || privKey === undefined || rest.length > 0) {
    throw new InvalidArgumentError(`expected NAME:AUTHKEY:PRIVKEY, got "${value.split(':')[0]}:…"`);
  }
  const user = { name, authKey, privKey };
  try {
    checkUsmUser(user);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return [...(previous ?? []), user];
}

/** CIDR,CIDR,...: checked here so that a typo is a usage error, not a failed start. */
function allowedNetworks(value: string): string[] {
  try {
    return AllowedNetworks.parse(value).networks.map((network) => network.cidr);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function databaseUrl(value: string): string {
  if (!/^postgres(ql)?:\/\//.test(value)) throw new InvalidArgumentError('expected a postgresql:// URL');
  return value;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function managerOptions(options: ServeOptions): ServedManagerOptions {
  const users = options.snmpUser;
  const communities = options.snmpCommunity;
  return {
    dataDir: options.dataDir,
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.databasePort ? { databasePort: options.databasePort } : {}),
    ...(options.secretsKey ? { secretsKeyFile: options.secretsKey } : {}),
    http: { address: options.httpAddress, port: options.httpPort },
    ...(options.tlsCert && options.tlsKey ? { tls: { certFile: options.tlsCert, keyFile: options.tlsKey } } : {}),
    notifications: {
      address: options.snmpAddress,
      port: options.snmpPort,
      // Naming a community alone means v2c only; naming nothing keeps the laboratory user.
      ...(users ? { users } : communities ? { users: [] } : {}),
      ...(communities ? { communities } : {}),
    },
    tftp: { address: options.tftpAddress, port: options.tftpPort },
    ftp: { address: options.ftpAddress, port: options.ftpPort, ...(options.ftpPassivePorts ? { passivePorts: options.ftpPassivePorts } : {}) },
    ...(options.transport ? { transport: options.transport } : {}),
    ...(options.timeLimits ? { timeouts: timeoutsOf(options.timeLimits) } : {}),
    trustedKeyFiles: options.trustedKey ?? [],
    snmpSourceAddress: options.snmpSource,
    allowedNetworks: options.allowNetworks,
    membership: {
      ...(options.heartbeatSeconds ? { heartbeatSeconds: options.heartbeatSeconds } : {}),
      ...(options.deadAfterSeconds ? { deadAfterSeconds: options.deadAfterSeconds } : {}),
    },
    runQueue: {
      ...(options.maxRuns ? { maxRuns: options.maxRuns } : {}),
      ...(options.maxRunsPerManager ? { maxRunsPerManager: options.maxRunsPerManager } : {}),
    },
    // Another manager took this one's work: running any of it on would order devices twice. Leave at
    // once, without the orderly stop that would let workflows take another step.
    onDeclaredDead: () => {
      process.stderr.write('safeflash manager: declared dead by another manager, which took over its runs; exiting (restart it to rejoin)\n');
      process.exit(1);
    },
  };
}

async function serve(options: ServeOptions): Promise<void> {
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
    throw new UsageFailure('--tls-cert and --tls-key go together: give both for HTTPS, or neither for plain HTTP');
  }
  // Loaded on use: the other commands start faster without the manager's modules.
  const { serveManager } = await import('../http/serve.ts');
  const { isConnectionLoss } = await import('../../manager/store/reconnecting-pool.ts');
  let manager: Awaited<ReturnType<typeof serveManager>> | undefined;
  // A database connection cut while no one listens on it (PostgreSQL restarting) can surface as an
  // 'error' event without a listener. The store and DBOS reconnect on their own: that must not take
  // the manager down. Anything else ends the process, as Node.js would.
  process.on('uncaughtException', (error) => {
    if (isConnectionLoss(error)) {
      manager?.logger.warn({ err: error }, 'a database connection was lost; the manager reconnects');
      return;
    }
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
  });
  try {
    manager = await serveManager(managerOptions(options));
  } catch (error) {
    if (error instanceof ListenerError || (error as Error).name === 'ManagerStartError') throw new CommandFailure((error as Error).message);
    throw error;
  }
  if ((options.trustedKey ?? []).length === 0) {
    manager.logger.warn('no trusted vendor key: images cannot be added until the manager is restarted with --trusted-key FILE');
  }
  process.stderr.write(
    `safeflash manager: API ${manager.url}, notifications to ${manager.notifyTarget.address}:${manager.notifyTarget.port}; operator token in ${manager.operatorTokenFile}; stop with Ctrl-C\n`,
  );
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  manager.logger.info({ signal }, 'stopping');
  await manager.stop();
}

export function registerServeCommand(program: Command): void {
  const d = managerDefaults;
  program
    .command('serve')
    .description('run the manager: HTTP API, SNMP notification receiver, TFTP and FTP file service, durable upgrade runs')
    .option('--data-dir <dir>', 'database (when embedded), images and backups', d.dataDir)
    .addOption(
      new Option('--database-url <url>', 'a shared PostgreSQL instead of the embedded one (postgresql://user:password@host/db)').argParser(databaseUrl),
    )
    .addOption(
      new Option('--database-port <port>', 'TCP port of the embedded PostgreSQL, which listens on 127.0.0.1 only (default: a free one)')
        .argParser(integerOption(1, 65535))
        .conflicts('databaseUrl'),
    )
    .option(
      '--secrets-key <file>',
      'the key that seals device credentials in the database (32 bytes, mode 0600; made when absent); managers sharing a database need the same file (default <data-dir>/secrets.key)',
    )
    .option('--http-address <address>', 'address of the HTTP API', ipAddress, d.http.address)
    .addOption(new Option('--tls-cert <file>', 'serve the API and dashboard over HTTPS with this certificate (PEM; with --tls-key)'))
    .addOption(new Option('--tls-key <file>', "the certificate's private key (PEM; with --tls-cert)"))
    .option('--http-port <port>', 'TCP port of the HTTP API', integerOption(0, 65535), d.http.port)
    .option('--snmp-address <address>', 'address devices send notifications to', ipAddress, d.notifications.address)
    .option('--snmp-port <port>', 'UDP port of the notification receiver', integerOption(0, 65535), d.notifications.port)
    .option(
      '--snmp-user <name:auth:priv>',
      "SNMPv3 user devices notify with (authPriv SHA-256/AES); repeat for several (default: the reference agent's laboratory user)",
      usmUser,
    )
    .option('--snmp-community <community>', 'SNMPv2c community devices may notify with; repeat for several', collect)
    .option('--snmp-source <address>', 'address SNMP requests to devices are sent from', ipAddress, d.snmpSourceAddress)
    .option('--tftp-address <address>', 'address of the TFTP server', ipAddress, d.tftp.address)
    .option('--tftp-port <port>', 'UDP port of the TFTP server', integerOption(0, 65535), d.tftp.port)
    .option('--ftp-address <address>', 'address of the FTP server', ipAddress, d.ftp.address)
    .option('--ftp-port <port>', 'TCP port of the FTP server', integerOption(0, 65535), d.ftp.port)
    .option('--ftp-passive-ports <from-to>', "TCP ports of the FTP server's passive data connections, e.g. 30000-30100 (default: any free port)", passivePorts)
    .addOption(transportOption('how devices move files when neither a run, its campaign nor the device says (default tftp)'))
    .addOption(timeLimitsOption('default phase time limits in seconds (default backup=120,download=900,boot=300,restore=120,verify=120)'))
    .addOption(
      new Option(
        `${allowNetworksOption} <cidrs>`,
        'networks (IPv4 or IPv6 CIDR, comma-separated) whose devices the manager may add, discover and send to; anything else is refused',
      )
        .argParser(allowedNetworks)
        .default([...loopbackNetworks], loopbackNetworks.join(',')),
    )
    .option('--trusted-key <file>', 'public key images must be signed with (PREFIX.pub); repeat for several', collect)
    .option(
      '--heartbeat-seconds <s>',
      `how often the manager heartbeats in the database (default ${defaultMembershipTiming.heartbeatSeconds})`,
      integerOption(1, 3600),
    )
    .option(
      '--dead-after-seconds <s>',
      `silence after which another manager on the database takes over this one's runs (default ${defaultMembershipTiming.deadAfterSeconds}; at least 3 heartbeats)`,
      integerOption(3, 86400),
    )
    .option(
      '--max-runs <n>',
      `runs under way at once across all managers on the database (default ${defaultRunQueueLimits.maxRuns})`,
      integerOption(1, 1_000_000),
    )
    .option(
      '--max-runs-per-manager <n>',
      `runs under way at once on this manager (default ${defaultRunQueueLimits.maxRunsPerManager})`,
      integerOption(1, 1_000_000),
    )
    .action(async (options: ServeOptions) => serve(options));
}
