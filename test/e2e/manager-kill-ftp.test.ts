// A run over FTP survives SIGKILLs of its manager: killed while the device uploads its backup and
// again while it downloads the image, the restarted manager (same data directory, same secrets key)
// resumes the run from its journal, whose offers name their FTP users but no passwords: the passwords
// are derived again from the key when the device is ordered. The run ends verified and the device
// reads back what the run reports; no answer in the journal holds a password.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Fleet } from '../../src/agent/fleet.ts';
import { vendorKeyPrefix } from '../../src/agent/vendor-key.ts';
import type { RunEvent, RunRecord } from '../../src/manager/store/records.ts';
import { packImage } from '../../src/protocol/image.ts';
import { keyPairFiles, readPrivateKey } from '../../src/protocol/keys.ts';
import { runCli, type ServeProcess, startServe } from '../helpers/cli-process.ts';
import {
  killLab,
  killPostgres,
  labModel,
  managerDatabase,
  readLabDevice,
  restartableServeArgs,
  runningOperation,
  startLabFleet,
  waitFor,
} from '../helpers/kill-manager.ts';

const lab = killLab('sf-kill-ftp-', 10);
const { dir, dataDir, third, devicePort, address, deviceName, credentials } = lab;
const waitMs = 60_000;
const testTimeout = { timeout: 240_000 };

let fleet: Fleet;
let serveArgs: string[];
let manager: ServeProcess | undefined;

const cli = (...args: string[]) => runCli(args, { env: manager!.env, timeoutMs: 60_000 });

async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${manager!.url}${path}`, {
    method,
    signal: AbortSignal.timeout(10_000),
    headers: { authorization: `Bearer ${manager!.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

const runDetail = (runId: string) => api<{ run: RunRecord; timeline: RunEvent[] }>('GET', `/api/runs/${runId}`);

before(async () => {
  fleet = await startLabFleet({ dir, devices: 1, baseAddress: address(1), port: devicePort, faults: () => ({ slowTransfers: { stepDelayMs: 600 } }) });
  serveArgs = [...(await restartableServeArgs(lab, false)), '--transport', 'ftp'];
  manager = await startServe(serveArgs);
  const discovered = await cli('device', 'discover', `127.10.${third}.0/30`, '--port', String(devicePort), '--timeout-ms', '300', ...credentials);
  assert.equal(discovered.code, 0, discovered.stderr);
});

after(async () => {
  await manager?.stop('SIGKILL');
  await killPostgres(dataDir);
  await fleet?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('killed during an FTP backup and an FTP download, the run resumes and ends verified', testTimeout, async () => {
  const key = readPrivateKey(keyPairFiles(vendorKeyPrefix(join(dir, 'vendor'))).privateKeyFile);
  const file = join(dir, 'new.sfimg');
  writeFileSync(file, packImage({ model: labModel, version: '1.2.0', configFormat: 1 }, Buffer.alloc(32 * 1024, 3), key));
  const added = await cli('image', 'add', file, '--json');
  assert.equal(added.code, 0, added.stderr);
  const image = (JSON.parse(added.stdout) as { sha256: string }).sha256;
  const backoff = { backoffSeconds: 1 };
  const run = await api<RunRecord>('POST', '/api/runs', {
    device: deviceName(1),
    image,
    transport: 'ftp',
    operator: 'kill-test',
    policy: { backup: backoff, upgrade: backoff, restore: backoff },
  });

  for (const type of ['backupConfig', 'downloadSoftware'] as const) {
    await waitFor(`the ${type} under way`, () => runningOperation(fleet, 1, type), waitMs);
    const killed = manager!;
    manager = undefined;
    await killed.stop('SIGKILL');
    manager = await startServe(serveArgs);
  }
  fleet.members[0]!.device.setFaults({});

  const done = await waitFor(
    'the run to end',
    async () => {
      const detail = await runDetail(run.id);
      return detail.run.outcome ? detail : undefined;
    },
    waitMs * 2,
    250,
  );
  assert.equal(done.run.state, 'verified', JSON.stringify(done.run.outcome));
  assert.equal(done.run.options?.transport, 'ftp');
  const reading = await readLabDevice(lab, 1);
  assert.equal(reading.runningVersion, '1.2.0');
  assert.equal(done.run.outcome?.configDigest, reading.configDigest);
  const ftpOrders = done.timeline.filter((e) => e.kind === 'operationStarted' && e.detail.protocol === 'ftp');
  assert.ok(ftpOrders.length >= 3, `${ftpOrders.length} FTP operations ordered`);

  const pool = managerDatabase(dataDir);
  try {
    const offers = await pool.query<{ output: string }>(
      `SELECT output::text AS output FROM safeflash.run_steps WHERE run_id = $1 AND name IN ('safeflash.expectBackup', 'safeflash.offerImage', 'safeflash.offerConfig')`,
      [run.id],
    );
    assert.ok(offers.rows.length >= 3);
    for (const { output } of offers.rows) {
      assert.match(output, /"username"/);
      assert.doesNotMatch(output, /"password"/);
    }
  } finally {
    await pool.end();
  }
});
