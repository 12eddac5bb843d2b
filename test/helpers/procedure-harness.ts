// A manager's procedure in this process against a fleet of real virtual devices: embedded PostgreSQL,
// the real file service (TFTP/FTP on loopback), a notification receiver feeding the procedure, DBOS
// launched once. One harness per test file (DBOS is a process-wide singleton).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DBOS } from '@dbos-inc/dbos-sdk';
import { Fleet, type FleetMember, type MemberKind } from '../../src/agent/fleet.ts';
import type { FamilyName } from '../../src/families/family.ts';
import { type FamilyLab, labImage } from './loopback-lab.ts';
import type { FaultPlan } from '../../src/agent/faults.ts';
import { ensureVendorSoftware, vendorKeyPrefix } from '../../src/agent/vendor-key.ts';
import { DeviceDriver } from '../../src/manager/device-driver.ts';
import type { DeviceReading } from '../../src/families/family.ts';
import { ManagerFiles } from '../../src/manager/files/manager-files.ts';
import { readNotification } from '../../src/manager/notifications.ts';
import { registerProcedure, serveRunQueue, type Procedure } from '../../src/manager/procedure/procedure.ts';
import type { PolicyRequest } from '../../src/manager/procedure/policy.ts';
import type { PhaseTimeouts } from '../../src/manager/procedure/timeouts.ts';
import { openDatabase, type Database } from '../../src/manager/store/database.ts';
import type { DeviceRecord, ImageRecord, RunRecord, RunState } from '../../src/manager/store/records.ts';
import { storeOn, type Store } from '../../src/manager/store/store.ts';
import { packImage } from '../../src/protocol/image.ts';
import { keyPairFiles, readPrivateKey } from '../../src/protocol/keys.ts';
import { NotificationReceiver } from '../../src/protocol/snmp/receiver.ts';
import type { SnmpSecurity } from '../../src/protocol/snmp/security.ts';
import type { KeyObject } from 'node:crypto';

export const model = 'IAD-2400';
const user = { name: 'manager', authKey: 'manager-auth-key', privKey: 'manager-priv-key' };
const security: SnmpSecurity = { version: 'v3', user };

/** Short enough for fast tests, long enough for a loaded CI machine. */
export const testTimeouts: Partial<PhaseTimeouts> = {
  backupSeconds: 8,
  downloadSeconds: 10,
  bootSeconds: 10,
  restoreSeconds: 8,
  pollSeconds: 0.5,
  decisionRecheckSeconds: 30,
  decisionWaitSeconds: 120,
};

export interface Harness {
  procedure: Procedure;
  database: Database;
  /** The repositories the manager's parts are given. */
  store: Store;
  files: ManagerFiles;
  fleet: Fleet;
  devices: Array<{ member: FleetMember; record: DeviceRecord }>;
  /** A signed image for the fleet's model (or another), added to the file service. */
  image(version: string, options?: { configFormat?: number; model?: string; family?: string }): Promise<ImageRecord>;
  /** Waits until the run is in one of `states`; throws after `seconds`. */
  waitFor(runId: string, states: RunState[], seconds?: number): Promise<RunRecord>;
  /** Reads the device over SNMP, as the manager does. */
  read(member: FleetMember): Promise<DeviceReading>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  devices: number;
  faults?: (device: number) => FaultPlan;
  timeouts?: Partial<PhaseTimeouts>;
  rebootRequired?: boolean;
  /** How long a device's reboot takes (default 100 ms). */
  rebootMs?: number;
  /** The largest image a bank of device n holds (default 64 MiB). */
  bankBytes?: (device: number) => number | undefined;
  /** What device n is, when not a reference IAD: its family and how its agent answers (see familyKind). */
  kindOf?: (device: number, lab: FamilyLab) => MemberKind & { family: FamilyName };
}

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'sf-procedure-'));
  // The embedded PostgreSQL runs as its own user when we are root: it must reach its directory.
  chmodSync(dir, 0o755);
  const cleanups: Array<() => Promise<void> | void> = [() => rmSync(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {});
  };
  try {
    const database = await openDatabase({ dataDir: join(dir, 'manager') });
    cleanups.push(() => database.close());
    const store = storeOn(database.pool);
    const agentDir = join(dir, 'agent');
    const software = ensureVendorSoftware(agentDir, model);
    const vendorKey: KeyObject = readPrivateKey(keyPairFiles(vendorKeyPrefix(agentDir)).privateKeyFile);
    const files = await ManagerFiles.start({
      dataDir: join(dir, 'manager'),
      tftp: { address: '127.0.0.1', port: 0 },
      ftp: { address: '127.0.0.1', port: 0 },
      store,
      trustedKeys: [software.trustedKey],
    });
    cleanups.push(() => files.close());
    const receiver = await NotificationReceiver.start({ address: '127.0.0.1', port: 0, users: [user] });
    cleanups.push(() => receiver.close());

    const procedure = registerProcedure({
      store,
      files,
      driverFor: (device) =>
        new DeviceDriver(
          { endpoint: { address: device.address, port: device.port }, security: device.security, family: device.family, sourceAddress: '127.0.0.1' },
          { timeoutMs: 400, retries: 1 },
        ),
      notifyTarget: receiver.endpoint,
      timeouts: { ...testTimeouts, ...options.timeouts },
    });
    receiver.on('notification', (received) => {
      const notification = readNotification(received);
      if (notification) void procedure.deliver(notification);
    });
    // DBOS on the manager's own pool for it, as the manager runs it (store/database.ts says why).
    DBOS.setConfig({
      name: 'safeflash',
      systemDatabaseUrl: database.url,
      systemDatabasePool: database.workflowPool,
      applicationVersion: 'procedure-test',
      logLevel: 'warn',
    });
    await DBOS.launch();
    cleanups.push(() => DBOS.shutdown());
    await serveRunQueue();

    const port = 20000 + Math.floor(Math.random() * 30000);
    const lab: FamilyLab = {
      softwareFor: (m) => ensureVendorSoftware(agentDir, m),
      tftpPort: () => files.endpoint('tftp').port,
      ftpPort: () => files.endpoint('ftp').port,
    };
    const kinds = new Map(Array.from({ length: options.devices }, (_, i) => [i + 1, options.kindOf?.(i + 1, lab)]));
    const fleet = await Fleet.start({
      ...(options.kindOf ? { kindOf: (n: number) => kinds.get(n)! } : {}),
      devices: options.devices,
      baseAddress: `127.6.${1 + Math.floor(Math.random() * 250)}.1`,
      port,
      stateDir: agentDir,
      model,
      software,
      users: [user],
      communities: [],
      notifySecurity: security,
      notifyTarget: receiver.endpoint,
      rebootMs: options.rebootMs ?? 100,
      rebootRequired: options.rebootRequired ?? true,
      faults: options.faults ?? (() => ({})),
      ...(options.bankBytes ? { bankBytes: options.bankBytes } : {}),
    });
    cleanups.push(() => fleet.stop());

    const devices = [];
    for (const member of fleet.members) {
      const family = kinds.get(member.number)?.family ?? 'safeflash';
      const record = await store.devices.add(
        {
          name: `${family === 'safeflash' ? 'iad' : family}-${member.number}`,
          address: member.address,
          port,
          security,
          tags: [],
          family,
        },
        { action: 'device.add', actor: 'operator:lab' },
      );
      devices.push({ member, record });
    }

    return {
      procedure,
      database,
      store,
      files,
      fleet,
      devices,
      image: (version, spec = {}) =>
        files.addImage(
          spec.family
            ? labImage(vendorKey, {
                model: spec.model ?? model,
                version,
                family: spec.family,
                ...(spec.configFormat ? { configFormat: spec.configFormat } : {}),
              })
            : packImage({ model: spec.model ?? model, version, configFormat: spec.configFormat ?? 1 }, Buffer.from(`software ${version}\n`), vendorKey),
        ),
      async waitFor(runId, states, seconds = 60) {
        for (let waited = 0; waited < seconds * 10; waited++) {
          const run = await procedure.runs.get(runId);
          if (run && states.includes(run.state)) return run;
          await sleep(100);
        }
        const run = await procedure.runs.get(runId);
        const timeline = await procedure.runs.timeline(runId);
        throw new Error(
          `run ${runId} is ${run?.state} in ${run?.phase}, not ${states.join('/')}, after ${seconds} s:\n${timeline.map((e) => `  ${e.phase} ${e.kind} ${e.cause ?? ''} ${e.message}`).join('\n')}`,
        );
      },
      async read(member) {
        const family = kinds.get(member.number)?.family ?? 'safeflash';
        const driver = new DeviceDriver(
          { endpoint: { address: member.address, port }, security, family, sourceAddress: '127.0.0.1' },
          { timeoutMs: 1000, retries: 2 },
        );
        try {
          return await driver.read();
        } finally {
          driver.close();
        }
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export const finalStates: RunState[] = ['verified', 'failed', 'rolledBack', 'aborted', 'upToDate'];

/** One scenario's upgrade, once it has ended: the device before and after, the run and its timeline. */
export interface Scenario {
  before: DeviceReading;
  run: RunRecord;
  timeline: Awaited<ReturnType<Procedure['runs']['timeline']>>;
  now: DeviceReading;
  member: FleetMember;
}

/**
 * One upgrade per device, all started at once (the devices are independent, so a file of scenarios
 * takes as long as its slowest): device n to `versions[n]`, with images of `spec`.
 */
export function startScenarios(
  harness: Harness,
  versions: Record<number, string>,
  spec: { model: string; family: string },
  policy: PolicyRequest,
): Map<number, Promise<Scenario>> {
  const upgrade = async (device: number, version: string): Promise<Scenario> => {
    const { member, record } = harness.devices[device - 1]!;
    const before = await harness.read(member);
    const image = await harness.image(version, spec);
    const started = await harness.procedure.startRun({ deviceId: record.id, imageSha256: image.sha256, policy, startedBy: 'operator:tester' });
    const run = await harness.waitFor(started.id, finalStates, 90);
    return { before, run, timeline: await harness.procedure.runs.timeline(run.id), now: await harness.read(member), member };
  };
  const scenarios = new Map(Object.entries(versions).map(([n, version]) => [Number(n), upgrade(Number(n), version)]));
  // Each test takes its own result; one that fails must not leave the others' rejections unhandled.
  for (const scenario of scenarios.values()) scenario.catch(() => undefined);
  return scenarios;
}
