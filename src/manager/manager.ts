// The manager, composed: database -> file service -> notification receiver -> procedure -> durable
// workflows (which resume every unfinished run) -> the run queue, membership among the managers
// sharing the database, and their live events -> operator token. Stopped in the reverse order. The
// procedure must be registered before DBOS.launch, since launch is what resumes runs. The manager does
// not know its faces: the HTTP API (src/interfaces/http/serve.ts) and the CLI are built around it.
import type { KeyObject } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { claimOwnership, releaseOwnership } from '../common/owner-file.ts';
import { DBOS } from '@dbos-inc/dbos-sdk';
import { pino, type Logger } from 'pino';
import { managerDefaults } from './manager-defaults.ts';
import type { Endpoint } from '../protocol/endpoint.ts';
import { readPublicKey } from '../protocol/keys.ts';
import { NotificationReceiver } from '../protocol/snmp/receiver.ts';
import type { UsmUser } from '../protocol/snmp/security.ts';
import type { TransferProtocol } from '../protocol/transfer-contract.ts';
import { ManagerMetrics } from './metrics.ts';
import { Campaigns, type CampaignsOptions } from './campaigns/campaigns.ts';
import { DeviceDriver } from './device-driver.ts';
import { SnmpSessionPool } from '../protocol/snmp/session-pool.ts';
import { LiveEvents } from './live-events.ts';
import { ManagerFiles } from './files/manager-files.ts';
import { Inventory } from './inventory/inventory.ts';
import { AllowedNetworks, loopbackNetworks } from './inventory/allowed-networks.ts';
import { readNotification } from './notifications.ts';
import { defaultRunQueueLimits, registerProcedure, runWorkflowNames, serveRunQueue, type Procedure, type RunQueueLimits } from './procedure/procedure.ts';
import { campaignWorkflowName } from './campaigns/workflow.ts';
import { wakeCampaignsOnRunEnd } from './campaigns/run-end-wake.ts';
import { CampaignSignals } from './campaigns/campaign-signals.ts';
import { defaultMembershipTiming, Membership, type MembershipTiming } from './membership/membership.ts';
import { recoverWorkflowsOf } from './membership/workflow-recovery.ts';
import { LiveRelay } from './membership/live-relay.ts';
import { ManagerStore, type ManagerRecord } from './store/managers.ts';
import type { PhaseTimeouts } from './procedure/timeouts.ts';
import { checkListeners, type Listener } from './startup/free-ports.ts';
import { embeddedExecutorId, sharedExecutorId } from './startup/executor-id.ts';
import { resumeOrphanRuns } from './startup/orphan-runs.ts';
import { ensureOperatorToken } from './startup/operator-token.ts';
import { observeRuns } from './run-observer.ts';
import { openDatabase, type Database } from './store/database.ts';
import { embeddedDatabaseAddress } from './database/embedded-postgres.ts';
import { storeOn } from './store/store.ts';
import { LiveChannel } from './store/live-channel.ts';
import { operationChannel } from './store/operation-routes.ts';
import { campaignChannel } from './store/campaigns.ts';
import { OperationSignals } from './procedure/operation-signals.ts';
import type { TokenStore } from './store/tokens.ts';
import type { AuditLog } from './store/audit.ts';
import { defaultSecretsKeyFile, loadSecretsKey, SecretsKeyError } from './secrets/secrets-key.ts';
import { SecretBox } from './secrets/secret-box.ts';
import { adoptSecretsKey, SecretsKeyMismatchError } from './store/secrets-key-check.ts';

export interface ManagerOptions {
  /** Database (when embedded), images and backups. */
  dataDir?: string;
  /** A shared PostgreSQL instead of the embedded one. */
  databaseUrl?: string;
  /**
   * The key that seals device credentials and derives FTP passwords (32 bytes, mode 0600; made when
   * absent). Default <dataDir>/secrets.key; managers sharing a database need the same key.
   */
  secretsKeyFile?: string;
  /** TCP port of the embedded PostgreSQL (always on 127.0.0.1); a free one when absent. */
  databasePort?: number;
  /** Listeners the caller opens once the manager runs (its HTTP API): checked with the manager's own, so that every busy port is named before anything starts. */
  reservedListeners?: Listener[];
  /** Where devices send notifications, and who may send them. */
  notifications?: Partial<Endpoint> & { users?: UsmUser[]; communities?: string[] };
  tftp?: Partial<Endpoint>;
  /** passivePorts: the ports of passive data connections (any free port when absent). */
  ftp?: Partial<Endpoint> & { passivePorts?: { min: number; max: number } };
  /** The transport of runs whose own request, campaign and device name none: TFTP when absent. */
  transport?: TransferProtocol;
  /** Public key files images must be signed with. None: images cannot be added. */
  trustedKeyFiles?: string[];
  /** The manager's address when it sends SNMP to devices. */
  snmpSourceAddress?: string;
  /** Networks (CIDR, IPv4 or IPv6) the manager may talk to; loopback only (127.0.0.0/8, ::1/128) by default. */
  allowedNetworks?: readonly string[];
  timeouts?: Partial<PhaseTimeouts>;
  /** Heartbeat and how long a silent manager has before the others take over its work. */
  membership?: Partial<MembershipTiming>;
  /** Runs under way at once, in the whole system and on this manager. */
  runQueue?: Partial<RunQueueLimits>;
  /**
   * This manager was declared dead by another, which took over its work: it must stop running it at
   * once (the CLI exits). By default the manager stops.
   */
  onDeclaredDead?: () => void;
  /** Campaign timing and clock (tests move the clock to check maintenance windows). */
  campaigns?: CampaignsOptions;
  logger?: Logger;
}

export { managerDefaults } from './manager-defaults.ts';

/** Fixed, so that runs recorded by an earlier build of the manager are still resumed by this one. */
const applicationVersion = 'safeflash-procedure-1';

export interface Manager {
  notifyTarget: Endpoint;
  files: ManagerFiles;
  procedure: Procedure;
  campaigns: Campaigns;
  inventory: Inventory;
  metrics: ManagerMetrics;
  /** Changes to runs, campaigns and devices as they happen, on every manager sharing the database (the dashboard's event stream). */
  live: LiveEvents;
  /** API tokens: who may read and who may act. */
  tokens: TokenStore;
  /** <dataDir>/operator.token: an operator API token, written (0600) on first start. */
  operatorTokenFile: string;
  /** How many vendor keys images are checked against; none means images cannot be added. */
  trustedKeyCount: number;
  /** This manager's executor ID: its name among the managers sharing the database. */
  executorId: string;
  /** Every manager sharing the database: state, last heartbeat, runs and campaigns held. */
  managers(): Promise<ManagerRecord[]>;
  /** The operators' actions (runs, decisions, campaigns, tokens, images, the inventory), oldest first. */
  audit: Pick<AuditLog, 'entries'>;
  /** Tells the other managers where this one's HTTP API listens. */
  announceApi(http: Endpoint): Promise<void>;
  /** The directory the manager keeps its files in (its own; no other manager uses it). */
  dataDir: string;
  /** The manager's database, for readers with connections of their own (the API's front thread). */
  databaseUrl: string;
  logger: Logger;
  stop(): Promise<void>;
}

export class ManagerStartError extends Error {
  override name = 'ManagerStartError';
}

function endpoint(given: Partial<Endpoint> | undefined, fallback: Endpoint): Endpoint {
  return { address: given?.address ?? fallback.address, port: given?.port ?? fallback.port };
}

function readTrustedKeys(files: string[]): KeyObject[] {
  return files.map((file) => {
    try {
      return readPublicKey(file);
    } catch (error) {
      throw new ManagerStartError(`trusted key ${file}: ${(error as Error).message}`);
    }
  });
}

function readSecretsKey(file: string): SecretBox {
  try {
    return new SecretBox(loadSecretsKey(file));
  } catch (error) {
    if (error instanceof SecretsKeyError) throw new ManagerStartError(error.message, { cause: error });
    throw error;
  }
}

function readAllowedNetworks(networks: readonly string[]): AllowedNetworks {
  try {
    return AllowedNetworks.of(networks);
  } catch (error) {
    throw new ManagerStartError(`allowed networks: ${(error as Error).message}`, { cause: error });
  }
}

export async function startManager(options: ManagerOptions = {}): Promise<Manager> {
  const logger = options.logger ?? pino({ name: 'safeflash' });
  const dataDir = resolve(options.dataDir ?? managerDefaults.dataDir);
  const notify = endpoint(options.notifications, managerDefaults.notifications);
  const tftp = endpoint(options.tftp, managerDefaults.tftp);
  const ftp = endpoint(options.ftp, managerDefaults.ftp);
  const trustedKeys = readTrustedKeys(options.trustedKeyFiles ?? []);
  const sourceAddress = options.snmpSourceAddress ?? managerDefaults.snmpSourceAddress;
  const allowedNetworks = readAllowedNetworks(options.allowedNetworks ?? loopbackNetworks);
  const listeners: Listener[] = [
    ...(options.reservedListeners ?? []),
    { service: 'notification receiver', transport: 'udp', ...notify, option: '--snmp-address/--snmp-port' },
    { service: 'TFTP server', transport: 'udp', ...tftp, option: '--tftp-address/--tftp-port' },
    { service: 'FTP server', transport: 'tcp', ...ftp, option: '--ftp-address/--ftp-port' },
  ];
  if (options.databaseUrl && options.databasePort) {
    throw new ManagerStartError('a database port is for the embedded PostgreSQL; with a database URL the port is part of the URL');
  }
  if (!options.databaseUrl && options.databasePort) {
    listeners.push({
      service: 'embedded PostgreSQL',
      transport: 'tcp',
      address: embeddedDatabaseAddress,
      port: options.databasePort,
      option: '--database-port',
    });
  }
  await checkListeners(listeners);
  // Read before anything starts: a key file that is not a key changes nothing.
  const secretsKeyFile = resolve(options.secretsKeyFile ?? defaultSecretsKeyFile(dataDir));
  const secrets = readSecretsKey(secretsKeyFile);
  // One manager per data directory, embedded database or shared: two would resume each other's runs
  // (one executor ID) and expire each other's file offers.
  mkdirSync(dataDir, { recursive: true });
  const ownerFile = join(dataDir, 'manager.pid');
  claimOwnership(ownerFile, `the data directory ${dataDir}`);

  // What has started so far, stopped in reverse if a later part fails or on stop().
  const stops: Array<{ what: string; stop: () => Promise<void> }> = [{ what: 'data directory claim', stop: async () => releaseOwnership(ownerFile) }];
  const stopAll = async () => {
    for (const { what, stop } of stops.reverse()) {
      await stop().catch((error: Error) => logger.error({ err: error }, `stopping ${what} failed`));
    }
    stops.length = 0;
  };

  try {
    const database: Database = await openDatabase({
      dataDir,
      ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
      ...(options.databasePort ? { databasePort: options.databasePort } : {}),
      onLog: (line) => logger.debug({ postgres: line }),
    });
    stops.push({ what: 'database', stop: () => database.close() });
    try {
      const { sealed } = await adoptSecretsKey(database.pool, secrets);
      if (sealed > 0) logger.info({ devices: sealed, secretsKeyFile }, 'device credentials kept in clear by an earlier version are sealed now');
    } catch (error) {
      if (error instanceof SecretsKeyMismatchError) throw new ManagerStartError(`${secretsKeyFile}: ${error.message}`, { cause: error });
      throw error;
    }
    const store = storeOn(database.pool, secrets);
    /** The same tables through the operators' own connections (store/database.ts says why). */
    const operatorStore = storeOn(database.operatorPool, secrets);

    const passivePorts = options.ftp?.passivePorts;
    const files = await ManagerFiles.start({
      dataDir,
      tftp,
      ftp: { ...ftp, ...(passivePorts ? { passivePorts } : {}) },
      store,
      trustedKeys,
      transferPassword: (username) => secrets.transferPassword(username),
    });
    stops.push({ what: 'file service', stop: () => files.close() });

    const metrics = new ManagerMetrics();
    metrics.observePool('store', database.pool);
    metrics.observePool('operator', database.operatorPool);
    metrics.observePool('campaign', database.campaignPool);
    const live = new LiveEvents((error) => logger.error({ err: error }, 'live event listener failed'));
    const stopObserving = observeRuns({ live, files, metrics, runs: operatorStore.runs, log: logger });
    stops.push({ what: 'run metrics', stop: async () => stopObserving() });
    let procedure: Procedure | undefined;
    const receiver = await NotificationReceiver.start({
      ...notify,
      users: options.notifications?.users ?? managerDefaults.notificationUsers,
      communities: options.notifications?.communities ?? [],
    });
    stops.push({ what: 'notification receiver', stop: () => receiver.close() });
    receiver.on('notification', (received) => {
      const notification = readNotification(received);
      metrics.notifications.inc({ kind: notification?.kind ?? 'unknown' });
      if (!notification || !procedure) return;
      procedure.deliver(notification).catch((error: Error) => logger.error({ err: error, notification }, 'notification not delivered'));
    });
    receiver.on('rejected', (error) => logger.warn({ err: error }, 'notification rejected'));

    // Another manager's notification of an operation this manager's run waits on wakes the wait through here.
    const signals = new OperationSignals();
    const operationWakeUps = new LiveChannel(
      database.url,
      (error) => logger.warn({ err: error }, 'wake-ups from other managers interrupted'),
      operationChannel,
    );
    await operationWakeUps.listen((payload) => signals.heard(payload));
    stops.push({ what: 'operation wake-ups', stop: () => operationWakeUps.close() });

    // Stopped after the workflows (stops run in reverse): no step is left holding one of its sessions.
    const sessions = new SnmpSessionPool();
    stops.push({ what: 'SNMP sessions', stop: async () => sessions.close() });
    const inventory = new Inventory(store.devices, { sourceAddress, allowedNetworks, onChange: (deviceId) => live.emit('deviceChanged', { deviceId }) });
    procedure = registerProcedure({
      store,
      operatorStore,
      files,
      driverFor: (device) =>
        new DeviceDriver({
          endpoint: { address: device.address, port: device.port },
          security: device.security,
          family: device.family,
          sourceAddress,
          allowedNetworks,
          sessions,
        }),
      notifyTarget: receiver.endpoint,
      live,
      signals,
      ...(options.timeouts ? { timeouts: options.timeouts } : {}),
      ...(options.transport ? { protocol: options.transport } : {}),
    });

    // A campaign's wake, from whichever manager its run ended or its operator asked on, ends its wait here.
    const campaignSignals = new CampaignSignals();
    const campaignWakeUps = new LiveChannel(database.url, (error) => logger.warn({ err: error }, 'campaign wakes interrupted'), campaignChannel);
    await campaignWakeUps.listen((campaignId) => campaignSignals.heard(campaignId));
    stops.push({ what: 'campaign wakes', stop: () => campaignWakeUps.close() });
    const campaigns = Campaigns.register({
      store,
      reads: operatorStore.campaigns,
      loop: storeOn(database.campaignPool, secrets),
      procedure,
      signals: campaignSignals,
      live,
      ...(options.campaigns ? { options: options.campaigns } : {}),
    });
    const stopWaking = wakeCampaignsOnRunEnd(live, (campaignId) => campaigns.wake(campaignId), logger);
    stops.push({ what: 'campaign wake-ups', stop: async () => stopWaking() });

    const executorID = options.databaseUrl ? sharedExecutorId(dataDir) : embeddedExecutorId;
    // One application version for every manager: at launch DBOS puts this manager's unfinished
    // workflows on its recovery queue, and whichever manager of the version has room runs them (their
    // files are in the shared store, their offers and notifications re-issued by the manager that runs them).
    DBOS.setConfig({
      name: 'safeflash',
      systemDatabaseUrl: database.url,
      systemDatabasePool: database.workflowPool,
      applicationVersion,
      executorID,
      // Workflows whose steps changed tell recorded executions from new ones (campaigns/workflow.ts).
      enablePatching: true,
      logLevel: 'warn',
    });
    await DBOS.launch();
    stops.push({ what: 'workflows', stop: () => DBOS.shutdown() });
    // Before the workflows stop (stops run in reverse): no campaign's wait reads the database after.
    stops.push({ what: 'campaign waits', stop: async () => campaignSignals.stop() });
    await serveRunQueue({ ...defaultRunQueueLimits, ...options.runQueue });
    const membership = await Membership.join({
      managers: new ManagerStore(database.membershipPool),
      self: {
        executorId: executorID,
        host: hostname(),
        pid: process.pid,
        endpoints: { notifications: receiver.endpoint, tftp: files.endpoint('tftp'), ftp: files.endpoint('ftp') },
      },
      timing: { ...defaultMembershipTiming, ...options.membership },
      recover: recoverWorkflowsOf,
      onDeclaredDead: options.onDeclaredDead ?? (() => void stop()),
      log: logger,
    });
    stops.push({ what: 'membership', stop: () => membership.leave() });
    // With a shared database the dashboards show every manager's runs live; alone, this manager's are all there is.
    let view = live;
    if (options.databaseUrl) {
      view = new LiveEvents((error) => logger.error({ err: error }, 'live event listener failed'));
      const relay = await LiveRelay.start({
        databaseUrl: database.url,
        self: executorID,
        local: live,
        view,
        onError: (error) => logger.warn({ err: error }, 'live events of other managers interrupted'),
      });
      stops.push({ what: 'live relay', stop: () => relay.stop() });
    }
    // launch() resumes every run that has a workflow; this starts the runs whose row was created but
    // whose workflow never started (the manager died in between). See startup/orphan-runs.ts.
    await resumeOrphanRuns({ runs: store.runs, log: logger, start: (run) => procedure.resume(run) });

    const { tokens } = operatorStore;
    const operatorTokenFile = await ensureOperatorToken(tokens, dataDir, logger);
    logger.info(
      {
        allowedNetworks: allowedNetworks.toString(),
        notifyTarget: receiver.endpoint,
        tftp: files.endpoint('tftp'),
        ftp: files.endpoint('ftp'),
        dataDir,
        operatorTokenFile,
        secretsKeyFile,
        trustedKeys: trustedKeys.length,
      },
      'manager started',
    );

    let stopping: Promise<void> | undefined;
    function stop(): Promise<void> {
      stopping ??= stopAll().then(() => logger.info('manager stopped'));
      return stopping;
    }
    return {
      notifyTarget: receiver.endpoint,
      files,
      procedure,
      campaigns,
      inventory,
      metrics,
      live: view,
      tokens,
      operatorTokenFile,
      trustedKeyCount: trustedKeys.length,
      logger,
      executorId: executorID,
      managers: () => operatorStore.managers.list({ runs: runWorkflowNames, campaigns: [campaignWorkflowName] }),
      announceApi: (http) => store.managers.announce(executorID, http),
      dataDir,
      databaseUrl: database.url,
      audit: operatorStore.audit,
      stop,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
