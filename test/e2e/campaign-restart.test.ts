// A manager SIGKILLed mid-campaign (a real `safeflash serve` child) and started again on the same data
// directory: the campaign's workflow resumes where it stood, its runs carry on, no device gets a
// second run, and the campaign completes with every device upgraded.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Fleet } from '../../src/agent/fleet.ts';
import { vendorKeyPrefix } from '../../src/agent/vendor-key.ts';
import { DeviceDriver } from '../../src/manager/device-driver.ts';
import { packImage } from '../../src/protocol/image.ts';
import { keyPairFiles, readPrivateKey } from '../../src/protocol/keys.ts';
import { startServe, type ServeProcess } from '../helpers/cli-process.ts';
import { killLab, killPostgres, restartableServeArgs, labModel, startLabFleet, waitFor } from '../helpers/kill-manager.ts';
import { testUser, v3 } from '../helpers/snmp-device.ts';

const model = labModel;
const lab = killLab('sf-campaign-kill-', 13);
const { dir, dataDir, third, devicePort, address } = lab;

let fleet: Fleet;
let serveArgs: string[];
let manager: ServeProcess | undefined;

interface Detail {
  campaign: { id: string; state: string };
  devices: Array<{ name: string; state: string; runId: string | null; attempts: number }>;
  events: Array<{ kind: string }>;
}

async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const tokenFile = join(dataDir, 'operator.token');
  const headers: Record<string, string> = existsSync(tokenFile) ? { authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}` } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${manager!.url}${path}`, {
    method,
    headers,
    signal: AbortSignal.timeout(10_000),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

before(async () => {
  // Slow transfers: the kill lands while the first wave's runs are under way.
  fleet = await startLabFleet({ dir, devices: 4, baseAddress: address(1), port: devicePort, faults: () => ({ slowTransfers: { stepDelayMs: 250 } }) });
  serveArgs = await restartableServeArgs(lab, false);
  manager = await startServe(serveArgs);
  await api('POST', '/api/devices/discover', {
    cidr: `127.13.${third}.0/29`,
    port: devicePort,
    timeoutMs: 300,
    v3User: testUser.name,
    authKey: testUser.authKey,
    privKey: testUser.privKey,
  });
  const key = readPrivateKey(keyPairFiles(vendorKeyPrefix(join(dir, 'vendor'))).privateKeyFile);
  writeFileSync(join(dir, 'new.sfimg'), packImage({ model, version: '1.1.0', configFormat: 1 }, Buffer.from('software 1.1.0'), key));
});

after(async () => {
  await manager?.stop('SIGKILL');
  await killPostgres(dataDir);
  await fleet?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a manager killed mid-campaign resumes it on restart: no device runs twice, every device upgraded', { timeout: 150_000 }, async () => {
  const image = await fetch(`${manager!.url}/api/images`, {
    method: 'POST',
    headers: {
      'content-type': 'application/octet-stream',
      ...(existsSync(join(dataDir, 'operator.token')) ? { authorization: `Bearer ${readFileSync(join(dataDir, 'operator.token'), 'utf8').trim()}` } : {}),
    },
    body: new Blob([new Uint8Array(readFileSync(join(dir, 'new.sfimg')))]),
  }).then(async (r) => ({ status: r.status, json: (await r.json()) as { sha256: string } }));
  assert.equal(image.status, 201, JSON.stringify(image.json));
  const campaign = await api<{ id: string }>('POST', '/api/campaigns', {
    name: 'through a crash',
    image: image.json.sha256,
    model,
    waves: '2,2',
    maxConcurrent: 2,
    policy: { backup: { backoffSeconds: 1 }, upgrade: { backoffSeconds: 1 }, restore: { backoffSeconds: 1 } },
  });
  // Kill while the first wave's runs are moving files.
  await waitFor(
    'a transfer under way',
    () => fleet.members.some((m) => m.device.operations().some((op) => op.state === 'running' && op.progress > 0)) || undefined,
    60_000,
    50,
  );
  const killed = manager!;
  manager = undefined;
  await killed.stop('SIGKILL');
  manager = await startServe(serveArgs);

  const done = await waitFor(
    'the campaign to complete',
    async () => {
      const detail = await api<Detail>('GET', `/api/campaigns/${campaign.id}`);
      return detail.campaign.state === 'completed' ? detail : undefined;
    },
    120_000,
    500,
  );
  assert.deepEqual(
    done.devices.map((d) => d.state),
    ['verified', 'verified', 'verified', 'verified'],
  );
  assert.ok(
    done.devices.every((d) => d.attempts === 1 && d.runId?.endsWith('-a1')),
    'one run per device, its first',
  );
  const runs = await api<Array<{ id: string; deviceId: number }>>('GET', '/api/runs');
  const mine = runs.filter((r) => r.id.startsWith(`${campaign.id}-`));
  assert.equal(mine.length, 4, 'no device got a second run');
  assert.equal(new Set(mine.map((r) => r.deviceId)).size, 4);
  assert.equal(done.events.filter((e) => e.kind === 'created').length, 1, 'the campaign was created once');
  assert.equal(done.events.filter((e) => e.kind === 'waveStarted').length, 2, 'each wave started once');
  for (let n = 1; n <= 4; n++) {
    const driver = new DeviceDriver({ endpoint: { address: address(n), port: devicePort }, security: v3, sourceAddress: '127.0.0.1' });
    try {
      assert.equal((await driver.read()).runningVersion, '1.1.0', `device ${n} runs the new version`);
    } finally {
      driver.close();
    }
  }
});
