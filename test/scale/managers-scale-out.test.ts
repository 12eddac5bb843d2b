// Three managers (`safeflash serve --database-url`, real child processes) on one real PostgreSQL server,
// and a virtual fleet of 300 devices. The image is uploaded through one manager; the campaign is
// created through another; runs go through the shared queue to whichever manager has room. Then the
// two hard nights: the manager holding the campaign is SIGKILLed mid-wave, and later the PostgreSQL
// server is restarted mid-campaign. Each time the campaign completes with every device verified (it
// runs the new version with its own configuration, as its run says), no device upgraded twice (its own
// operation rows show one download per upgrade attempt and no index used twice), and the dead
// manager's work taken over without an operator.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Fleet, FleetMember } from '../../src/agent/fleet.ts';
import { vendorKeyPrefix } from '../../src/agent/vendor-key.ts';
import type { CampaignDeviceRecord } from '../../src/manager/store/campaigns.ts';
import type { ImageRecord } from '../../src/manager/store/records.ts';
import { packImage } from '../../src/protocol/image.ts';
import { keyPairFiles, readPrivateKey } from '../../src/protocol/keys.ts';
import { startServe, type ServeProcess } from '../helpers/cli-process.ts';
import { labModel, managerServeArgs, startLabFleet, waitFor } from '../helpers/kill-manager.ts';
import { ManagerApi, type RunDetail } from '../helpers/shared-database-api.ts';
import { executorIdFile, startSharedPostgres, type SharedPostgres } from '../helpers/shared-database-postgres.ts';
import { testUser } from '../helpers/snmp-device.ts';

const devices = 300;
const dir = mkdtempSync(join(tmpdir(), 'sf-scale-out-'));
chmodSync(dir, 0o755);
// A /23 of its own: 300 devices from .2.1 on, managers at .1.x.
const second = 40 + Math.floor(Math.random() * 50);
const devicePort = 20000 + Math.floor(Math.random() * 20000);
const firstDevice = `127.${second}.2.1`;
const managerAddress = (n: number) => `127.${second}.1.${n}`;
const campaignTimeoutMs = 300_000;
const testTimeout = { timeout: campaignTimeoutMs + 60_000 };

interface ManagerView {
  executorId: string;
  state: string;
  takenOverBy: string | null;
  workflowsTaken: number | null;
  runsHeld: number;
  campaignsHeld: number;
}

interface CampaignDetail {
  campaign: { id: string; state: string };
  devices: Array<Pick<CampaignDeviceRecord, 'deviceId' | 'name' | 'state' | 'runId' | 'attempts'>>;
}

let postgres: SharedPostgres | undefined;
let fleet: Fleet | undefined;
const managers: Array<{ args: string[]; dataDir: string; process: ServeProcess | undefined }> = [];
const api = (i: number) => new ManagerApi(() => managers[i]!.process ?? assert.fail(`manager ${i} is not running`));
/** Any manager still running, for reading the system's view. */
const anyApi = () => api(managers.findIndex((m) => m.process !== undefined));
const executorIdOf = (i: number) => readFileSync(executorIdFile(managers[i]!.dataDir), 'utf8').trim();

/** Started with their logs kept: a campaign that does not complete is explained by what its managers warned of. */
const serve = (args: string[]) => startServe(args, undefined, { logs: true });

/** The last warnings and errors each running manager logged, one line each. */
function managerWarnings(): string[] {
  return managers.flatMap((manager, i) =>
    (manager.process?.stdout() ?? '')
      .split('\n')
      .flatMap((line) => {
        try {
          const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
          return (entry.level ?? 0) >= 40 ? [`manager ${i}: ${entry.msg ?? ''} ${entry.err?.message ?? ''}`.trim()] : [];
        } catch {
          return [];
        }
      })
      .slice(-10),
  );
}

function managerArgs(n: number, dataDir: string, databaseUrl: string): Promise<string[]> {
  return managerServeArgs({
    at: managerAddress(n),
    dataDir,
    vendorDir: join(dir, 'vendor'),
    shared: { databaseUrl, heartbeatSeconds: 1, deadAfterSeconds: 8 },
  });
}

function member(deviceName: string): FleetMember {
  const address = deviceName.split(':')[0];
  return fleet!.members.find((m) => m.address === address) ?? assert.fail(`no device ${deviceName} in the fleet`);
}

async function addImage(version: string): Promise<string> {
  const key = readPrivateKey(keyPairFiles(vendorKeyPrefix(join(dir, 'vendor'))).privateKeyFile);
  // Uploaded through the first manager only: the others find it in the shared store.
  const image = await api(0).call<ImageRecord>(
    'POST',
    '/api/images',
    packImage({ model: labModel, version, configFormat: 2 }, Buffer.from(`software ${version}`), key),
  );
  return image.sha256;
}

/** Creates the campaign through manager `through` and returns its ID. */
async function startCampaign(through: number, name: string, image: string): Promise<string> {
  const campaign = await api(through).call<{ id: string }>('POST', '/api/campaigns', {
    name,
    image,
    model: labModel,
    waves: '30,270',
    maxConcurrent: devices,
    policy: { backup: { backoffSeconds: 1 }, upgrade: { backoffSeconds: 1 }, restore: { backoffSeconds: 1 } },
    operator: 'scale-out-test',
  });
  return campaign.id;
}

function campaign(id: string): Promise<CampaignDetail> {
  return anyApi().call<CampaignDetail>('GET', `/api/campaigns/${id}`);
}

/** Waits until the campaign is in its second wave with most of the wave still to run. */
async function midSecondWave(id: string): Promise<void> {
  const moment = await waitFor(
    'the second wave under way',
    async () => {
      const detail = await campaign(id);
      if (detail.campaign.state === 'completed') return 'too late';
      // The first wave is 30 devices: a run for a 31st means the second wave has started.
      const started = detail.devices.filter((d) => d.runId !== null).length;
      const ended = detail.devices.filter((d) => ['verified', 'recovered', 'failed'].includes(d.state)).length;
      return started > 30 && ended < devices / 2 ? 'mid-wave' : undefined;
    },
    campaignTimeoutMs,
    200,
  );
  assert.equal(moment, 'mid-wave', 'the campaign ended before the fault could be injected');
}

async function completed(id: string): Promise<CampaignDetail> {
  try {
    return await waitFor(
      `campaign ${id} to complete`,
      async () => {
        const detail = await campaign(id);
        if (['completed', 'failed', 'aborted', 'paused'].includes(detail.campaign.state)) return detail;
        return undefined;
      },
      campaignTimeoutMs,
      1000,
    );
  } catch (error) {
    // Where the campaign stands, the last lines of the runs that did not end and what the managers warned
    // of: what a failure needs to be read.
    const detail = await campaign(id);
    const unfinished = detail.devices.filter((d) => !['verified', 'recovered', 'failed'].includes(d.state)).slice(0, 5);
    const lines = [];
    for (const device of unfinished) {
      const run = device.runId ? await anyApi().call<RunDetail>('GET', `/api/runs/${device.runId}`) : undefined;
      lines.push(
        `${device.name} ${device.state}: ${run?.timeline
          .slice(-4)
          .map((e) => `${e.phase} ${e.kind} ${e.cause ?? ''} ${e.message}`)
          .join(' | ')}`,
      );
    }
    throw new Error(`${(error as Error).message}; campaign ${detail.campaign.state}\n${lines.join('\n')}\n${managerWarnings().join('\n')}`);
  }
}

/**
 * Every device verified, and the claim is true: the device runs `version` with the configuration its
 * run restored; its own operation rows show one image download per upgrade attempt of its run, no
 * operation index twice and nothing left under way. Returns the executors that ran the runs.
 */
async function assertEveryDeviceVerified(detail: CampaignDetail, version: string): Promise<Set<string>> {
  assert.equal(detail.campaign.state, 'completed', JSON.stringify(detail.devices.filter((d) => d.state !== 'verified').slice(0, 5)));
  assert.equal(detail.devices.length, devices);
  const executors = new Set<string>();
  for (const device of detail.devices) {
    const run = await anyApi().call<RunDetail>('GET', `/api/runs/${device.runId}`);
    const failures = run.timeline.filter((e) => e.kind === 'phaseFailed').map((e) => `${e.phase} ${e.cause}: ${e.message}`);
    // The run's own report says what ended it when its timeline has no failed phase (a fault inside the manager).
    assert.equal(device.state, 'verified', `${device.name}: ${device.state} ${JSON.stringify(failures)}; run ${run.run.state}: ${run.run.outcome?.summary}`);
    assert.equal(device.attempts, 1, `${device.name}: one run`);
    assert.equal(run.run.state, 'verified');
    const status = member(device.name).device.status();
    assert.equal(status.runningVersion, version, `${device.name} runs ${version}`);
    assert.equal(status.configDigest.toString('hex'), run.run.outcome?.configDigest, `${device.name} keeps the configuration its run restored`);
    const operations = member(device.name).device.operations();
    const indexes = operations.map((op) => op.index);
    assert.equal(new Set(indexes).size, indexes.length, `${device.name}: an operation index twice`);
    assert.ok(
      operations.every((op) => op.state === 'successful' || op.state === 'failed'),
      `${device.name}: an operation still under way`,
    );
    const ordered = run.timeline.filter((e) => e.kind === 'operationStarted' && e.detail.type === 'downloadSoftware').map((e) => Number(e.detail.index));
    const downloads = operations.filter((op) => op.request.type === 'downloadSoftware' && ordered.includes(op.index));
    const attempts = run.timeline.filter((e) => e.phase === 'upgrade' && e.kind === 'phaseStarted').length;
    assert.equal(downloads.length, attempts, `${device.name}: one download per upgrade attempt`);
    const row = await postgres!.pool.query<{ executor_id: string }>('SELECT executor_id FROM dbos.workflow_status WHERE workflow_uuid = $1', [device.runId]);
    executors.add(row.rows[0]!.executor_id);
  }
  return executors;
}

before(async () => {
  postgres = await startSharedPostgres(join(dir, 'postgres'), 'scale_out');
  fleet = await startLabFleet({ dir, devices, baseAddress: firstDevice, port: devicePort, faults: () => ({}) });
  for (let i = 0; i < 3; i++) {
    const dataDir = join(dir, `manager-${i}`);
    const args = await managerArgs(10 + i, dataDir, postgres.url);
    managers.push({ args, dataDir, process: await serve(args) });
  }
  await api(0).call(
    'POST',
    '/api/devices/discover',
    {
      cidr: `127.${second}.2.0/23`,
      port: devicePort,
      // Generous: on a loaded machine an agent of 300 devices may take longer than usual to answer.
      timeoutMs: 1000,
      v3User: testUser.name,
      authKey: testUser.authKey,
      privKey: testUser.privKey,
    },
    // The block's silent addresses each wait out their timeout, 64 at a time.
    60_000,
  );
});

after(async () => {
  for (const manager of managers) await manager.process?.stop('SIGKILL');
  await fleet?.stop();
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test(`three managers share ${devices} devices; the campaign's manager SIGKILLed mid-wave is taken over and the campaign completes`, testTimeout, async () => {
  assert.equal((await api(2).call<unknown[]>('GET', '/api/devices')).length, devices, 'every manager sees the whole fleet');
  const image = await addImage('1.1.0');
  const id = await startCampaign(1, 'scale-out, one manager killed', image);

  await midSecondWave(id);
  // The manager that holds the campaign's workflow (and runs of its own) is the one that dies.
  const holder = (await postgres!.pool.query<{ executor_id: string }>('SELECT executor_id FROM dbos.workflow_status WHERE workflow_uuid = $1', [id])).rows[0]!
    .executor_id;
  const victim = managers.findIndex((_, i) => executorIdOf(i) === holder);
  assert.ok(victim >= 0, `the campaign is held by ${holder}, none of the three`);
  const killed = managers[victim]!.process!;
  managers[victim]!.process = undefined;
  await killed.stop('SIGKILL');

  const done = await completed(id);
  const executors = await assertEveryDeviceVerified(done, '1.1.0');
  assert.ok(executors.size >= 2, `runs were spread over the managers: ${[...executors].join(', ')}`);
  assert.ok(
    [...executors].some((e) => e !== executorIdOf(0)),
    'runs on managers that never received the image used it',
  );

  const views = await anyApi().call<ManagerView[]>('GET', '/api/managers');
  const dead = views.find((m) => m.executorId === holder);
  assert.equal(dead?.state, 'dead', 'the killed manager was declared dead');
  assert.ok(dead?.takenOverBy && dead.takenOverBy !== holder, 'another manager took it over');
  assert.ok((dead?.workflowsTaken ?? 0) >= 1, 'its campaign (and any run it held) was recovered');
  assert.equal(dead?.runsHeld, 0);

  // Back on its data directory, it rejoins.
  managers[victim]!.process = await serve(managers[victim]!.args);
});

test(`the PostgreSQL server restarted mid-campaign: every manager reconnects, the campaign completes, nothing doubled`, testTimeout, async () => {
  const image = await addImage('1.2.0');
  const id = await startCampaign(2, 'scale-out, database restarted', image);
  await midSecondWave(id);
  await postgres!.restart(3000);

  const done = await completed(id);
  await assertEveryDeviceVerified(done, '1.2.0');
  const views = await anyApi().call<ManagerView[]>('GET', '/api/managers');
  const lost = managers.filter((_, i) => views.find((m) => m.executorId === executorIdOf(i))?.state !== 'up');
  assert.deepEqual(
    // The end of what a lost manager printed, from where Node names the emitter of an unhandled error.
    lost.map((m) => {
      const printed = m.process?.stderr() ?? '';
      const emitter = printed.lastIndexOf('Emitted');
      return printed.slice(emitter >= 0 ? Math.max(0, emitter - 1500) : -3000);
    }),
    [],
    'no manager was lost to the restart',
  );
});
