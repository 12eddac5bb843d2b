// A manager in this process with a virtual fleet on loopback, for the campaign tests: one per test
// file (DBOS is a process-wide singleton). Campaigns look at their runs often and the clock can be
// moved, so that waves, windows and retries happen in seconds.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Fleet, FleetMember } from '../../src/agent/fleet.ts';
import type { FaultPlan } from '../../src/agent/faults.ts';
import { ensureVendorSoftware, vendorKeyPrefix } from '../../src/agent/vendor-key.ts';
import type { MemberKind } from '../../src/agent/fleet.ts';
import type { FamilyName } from '../../src/families/family.ts';
import { DeviceDriver } from '../../src/manager/device-driver.ts';
import type { DeviceReading } from '../../src/families/family.ts';
import type { ServedManager } from '../../src/interfaces/http/serve.ts';
import type { CampaignDetail } from '../../src/manager/campaigns/campaign-reads.ts';
import type { CampaignState } from '../../src/manager/campaigns/model.ts';
import type { CampaignRecord } from '../../src/manager/store/campaigns.ts';
import type { RunRecord } from '../../src/manager/store/records.ts';
import { keyPairFiles, readPrivateKey } from '../../src/protocol/keys.ts';
import { v3 } from './snmp-device.ts';
import { type FamilyLab, labImage, operatorToken, startLoopbackFleet, startLoopbackManager } from './loopback-lab.ts';

export const model = 'IAD-2400';

/** A run policy that never retries and never asks: a campaign test's failures show at once. */
const quick = { retries: 0, then: 'abort' as const };
export const quickPolicy = { upgrade: quick, backup: quick, restore: quick, migrate: quick };

/** Creates a campaign through the API; fails the test unless it is created (201). */
export async function createCampaign(world: CampaignWorld, body: object): Promise<CampaignRecord> {
  const created = await world.api<CampaignRecord>('POST', '/api/campaigns', body);
  assert.equal(created.status, 201, JSON.stringify(created.json));
  return created.json;
}

export interface CampaignWorld {
  manager: ServedManager;
  fleet: Fleet;
  /** Device names in the inventory, by fleet number (1-based). */
  names: string[];
  /** The campaign clock's offset from real time, in ms; tests move it. */
  clock: { offsetMs: number; now(): number };
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }>;
  /** Adds a signed image for the fleet's model (or another model, of another family); returns its SHA-256. */
  image(version: string, forModel?: string, family?: string, configFormat?: number): Promise<string>;
  read(n: number): Promise<DeviceReading>;
  detail(id: string): Promise<CampaignDetail>;
  waitForState(id: string, states: CampaignState[], seconds?: number): Promise<CampaignDetail>;
  runs(campaignId: string): Promise<Array<RunRecord & { endedAt: Date | null }>>;
  stop(): Promise<void>;
}

export async function startCampaignWorld(options: {
  devices: number;
  faults?: (n: number) => FaultPlan;
  tags?: (n: number) => string[];
  rebootMs?: number;
  /** How often campaigns look at their runs without being woken (default 0.2 s). */
  tickSeconds?: number;
  /** What device n is, when not a reference IAD: its family, personality and model. */
  kindOf?: (n: number, lab: FamilyLab) => MemberKind & { family: FamilyName };
}): Promise<CampaignWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'sf-campaign-'));
  await chmod(dir, 0o755);
  const third = 1 + Math.floor(Math.random() * 250);
  const port = 20000 + Math.floor(Math.random() * 20000);
  // Modems and IOS ask the protocols' own ports: they are told the manager's once it listens.
  let ports = { tftp: 69, ftp: 21 };
  const lab: FamilyLab = { tftpPort: () => ports.tftp, ftpPort: () => ports.ftp, softwareFor: (m) => ensureVendorSoftware(join(dir, 'vendor'), m) };
  const kinds = new Map(Array.from({ length: options.devices }, (_, i) => [i + 1, options.kindOf?.(i + 1, lab)]));
  const fleet = await startLoopbackFleet(dir, {
    devices: options.devices,
    ...(options.kindOf ? { kindOf: (n: number) => kinds.get(n)! } : {}),
    baseAddress: `127.12.${third}.1`,
    port,
    ...(options.rebootMs !== undefined ? { rebootMs: options.rebootMs } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
  });
  const clock = { offsetMs: 0, now: () => Date.now() + clock.offsetMs };
  let manager: ServedManager;
  try {
    manager = await startLoopbackManager(dir, {
      timeouts: { backupSeconds: 8, downloadSeconds: 10, bootSeconds: 10, restoreSeconds: 8, pollSeconds: 0.5 },
      campaigns: { tickSeconds: options.tickSeconds ?? 0.2, windowRecheckSeconds: 0.3, clock: () => clock.now() },
    });
  } catch (error) {
    await fleet.stop();
    throw error;
  }
  ports = { tftp: manager.files.endpoint('tftp').port, ftp: manager.files.endpoint('ftp').port };
  const familyOf = (n: number): FamilyName => kinds.get(n)?.family ?? 'safeflash';
  for (const member of fleet.members) await member.device.setNotifyTarget(manager.notifyTarget);
  const token = await operatorToken(manager);

  const api = async <T>(method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${manager.url}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    return { status: response.status, json: (text ? JSON.parse(text) : undefined) as T };
  };

  const names: string[] = [];
  for (const member of fleet.members) {
    const family = familyOf(member.number);
    const device = await manager.inventory.devices.add(
      {
        name: `${family === 'safeflash' ? 'iad' : family}-${member.number}`,
        address: member.address,
        port,
        security: v3,
        tags: options.tags?.(member.number) ?? [],
        family,
      },
      { action: 'device.add', actor: 'operator:lab' },
    );
    names.push(device.name);
  }
  // Read every device once, as discovery would: campaigns select by model and version.
  for (const [i, member] of fleet.members.entries()) {
    const device = (await manager.inventory.devices.find(names[i]!))!;
    await manager.inventory.devices.recordReading(device.id, await readMember(member, port, familyOf(member.number)));
  }
  const vendorKey = readPrivateKey(keyPairFiles(vendorKeyPrefix(join(dir, 'vendor'))).privateKeyFile);

  const world: CampaignWorld = {
    manager,
    fleet,
    names,
    clock,
    api,
    async image(version, forModel = model, family = 'safeflash', configFormat = 1) {
      const image = await manager.files.addImage(labImage(vendorKey, { model: forModel, version, family, configFormat }));
      return image.sha256;
    },
    read: (n) => readMember(fleet.members[n - 1]!, port, familyOf(n)),
    detail: (id) => manager.campaigns.detail(id),
    async waitForState(id, states, seconds = 60) {
      for (let waited = 0; waited < seconds * 10; waited++) {
        const detail = await manager.campaigns.detail(id);
        if (states.includes(detail.campaign.state)) return detail;
        await sleep(100);
      }
      const detail = await manager.campaigns.detail(id);
      throw new Error(
        `campaign ${id} is ${detail.campaign.state}, not ${states.join('/')}, after ${seconds} s:\n${detail.events.map((e) => `  ${e.kind} ${e.cause ?? ''} ${e.message}`).join('\n')}\n${detail.devices.map((d) => `  ${d.name} ${d.state} ${d.runId ?? ''} ${d.run?.state ?? ''} ${d.run?.phase ?? ''} ${d.message ?? ''}`).join('\n')}`,
      );
    },
    async runs(campaignId) {
      const all = await manager.procedure.runs.list({ limit: 1000 });
      const mine = all.filter((r) => r.id.startsWith(`${campaignId}-`));
      return Promise.all(
        mine.map(async (run) => {
          const ended = (await manager.procedure.runs.timeline(run.id)).find((e) => e.kind === 'runEnded');
          return { ...run, endedAt: ended?.at ?? null };
        }),
      );
    },
    async stop() {
      await manager.stop();
      await fleet.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return world;
}

async function readMember(member: FleetMember, port: number, family: FamilyName): Promise<DeviceReading> {
  const driver = new DeviceDriver(
    { endpoint: { address: member.address, port }, security: v3, family, sourceAddress: '127.0.0.1' },
    { timeoutMs: 1000, retries: 2 },
  );
  try {
    return await driver.read();
  } finally {
    driver.close();
  }
}

/** The most runs that were ever under way at once, from their start and end times. */
export function maxSimultaneous(runs: ReadonlyArray<{ createdAt: Date; endedAt: Date | null }>): number {
  const points = runs.flatMap((r) => [
    { at: r.createdAt.getTime(), delta: 1 },
    { at: (r.endedAt ?? new Date(8.64e15)).getTime(), delta: -1 },
  ]);
  // An end and a start at the same instant: the end first (the slot was free).
  points.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let now = 0;
  let most = 0;
  for (const p of points) {
    now += p.delta;
    most = Math.max(most, now);
  }
  return most;
}
