// The manager's Prometheus metrics move with real upgrades: a manager in this process upgrades three
// virtual devices on loopback over SNMP and TFTP. One is clean, one fails its first image download
// (a retry), one drops every notification (the polling fallback) and refuses its first restore (a
// rollback with a revert). /metrics must then show what happened, by phase and outcome. The run log
// lines are JSON with the run's and device's ids.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import type { Fleet } from '../../src/agent/fleet.ts';
import type { FaultPlan } from '../../src/agent/faults.ts';
import { vendorKeyPrefix } from '../../src/agent/vendor-key.ts';
import type { ServedManager } from '../../src/interfaces/http/serve.ts';
import { packImage } from '../../src/protocol/image.ts';
import { keyPairFiles, readPrivateKey } from '../../src/protocol/keys.ts';
import { testUser } from '../helpers/snmp-device.ts';
import { operatorToken, startLoopbackFleet, startLoopbackManager } from '../helpers/loopback-lab.ts';

const model = 'IAD-2400';
const faults: FaultPlan[] = [
  {},
  { failDownloads: { count: 1, cause: 'serverUnreachable' } },
  { dropNotifications: 1, failRestores: { count: 1, cause: 'configInvalid' } },
];
const quick = { retries: 2, backoffSeconds: 0.2, then: 'abort' } as const;
const policy = { preflight: quick, backup: quick, upgrade: quick, migrate: quick, restore: { retries: 0, backoffSeconds: 0.2, then: 'abort' } } as const;

let dir: string;
let manager: ServedManager;
let fleet: Fleet;
let token: string;
const logLines: string[] = [];

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${manager.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
}

/** The value of one sample of the exposition, 0 when the series has not appeared. */
function sample(exposition: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of exposition.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return 0;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sf-metrics-'));
  await chmod(dir, 0o755);
  const third = 1 + Math.floor(Math.random() * 250);
  const port = 20000 + Math.floor(Math.random() * 20000);
  fleet = await startLoopbackFleet(dir, {
    devices: faults.length,
    baseAddress: `127.5.${third}.1`,
    port,
    rebootMs: 100,
    faults: (n: number) => faults[n - 1] ?? {},
  });
  const logs = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(
        ...String(chunk)
          .split('\n')
          .filter((l) => l !== ''),
      );
      done();
    },
  });
  manager = await startLoopbackManager(dir, {
    timeouts: { pollSeconds: 0.5, restoreSeconds: 10 },
    logger: pino({ level: 'info' }, logs),
  });
  token = await operatorToken(manager);
  for (const member of fleet.members) {
    await api('POST', '/api/devices', {
      address: member.address,
      port,
      name: `m${member.address.split('.')[3]}`,
      v3User: testUser.name,
      authKey: testUser.authKey,
      privKey: testUser.privKey,
    });
  }
});

after(async () => {
  await manager?.stop();
  await fleet?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('runs against virtual devices move the run, phase, notification, retry, revert and file metrics', { timeout: 120_000 }, async () => {
  const key = readPrivateKey(keyPairFiles(vendorKeyPrefix(join(dir, 'vendor'))).privateKeyFile);
  const imageFile = packImage({ model, version: '1.1.0', configFormat: 1 }, Buffer.alloc(64 * 1024, 7), key);
  const image = await fetch(`${manager.url}/api/images`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
    body: new Blob([new Uint8Array(imageFile)]),
  }).then((r) => r.json());

  const before = await api('GET', '/metrics');
  assert.equal(sample(before, 'safeflash_runs_ended_total'), 0);

  const runs: Array<{ id: string }> = [];
  for (const member of fleet.members) runs.push(await api('POST', '/api/runs', { device: member.address, image: image.sha256, policy }));
  const ended = new Map<string, string>();
  for (let i = 0; i < 600 && ended.size < runs.length; i++) {
    for (const run of runs) {
      const detail = await api('GET', `/api/runs/${run.id}`);
      if (detail.run.outcome) ended.set(run.id, detail.run.state);
    }
    if (ended.size < runs.length) await sleep(200);
  }
  assert.deepEqual(
    runs.map((r) => ended.get(r.id)),
    ['verified', 'verified', 'rolledBack'],
  );

  // The run observer hears of a run's end just after it is recorded.
  let metrics = '';
  for (let i = 0; i < 50; i++) {
    metrics = await api('GET', '/metrics');
    if (
      sample(metrics, 'safeflash_runs_ended_total', { outcome: 'rolledBack' }) === 1 &&
      sample(metrics, 'safeflash_runs_ended_total', { outcome: 'verified' }) === 2
    )
      break;
    await sleep(100);
  }
  assert.equal(sample(metrics, 'safeflash_runs_ended_total', { outcome: 'verified', phase: 'verify' }), 2, metrics);
  assert.equal(sample(metrics, 'safeflash_runs_ended_total', { outcome: 'rolledBack' }), 1);
  assert.equal(sample(metrics, 'safeflash_runs_active'), 0, 'no run left active');
  assert.equal(sample(metrics, 'safeflash_runs_started_total'), 3);

  for (const phase of ['preflight', 'backup', 'upgrade', 'restore']) {
    assert.ok(sample(metrics, 'safeflash_phase_duration_seconds_count', { phase, result: 'succeeded' }) >= 2, `${phase} succeeded twice at least`);
  }
  assert.equal(sample(metrics, 'safeflash_phase_duration_seconds_count', { phase: 'upgrade', result: 'failed' }), 1, 'the failed download');
  assert.equal(sample(metrics, 'safeflash_phase_duration_seconds_count', { phase: 'restore', result: 'failed' }), 1, 'the refused restore');
  assert.ok(sample(metrics, 'safeflash_phase_duration_seconds_sum', { phase: 'backup', result: 'succeeded' }) > 0);
  assert.equal(sample(metrics, 'safeflash_phase_failures_total', { phase: 'upgrade', cause: 'serverUnreachable' }), 1);
  assert.equal(sample(metrics, 'safeflash_retries_total', { phase: 'upgrade' }), 1);
  assert.equal(sample(metrics, 'safeflash_reverts_total', { phase: 'rollback', result: 'ok' }), 1, 'the rollback reverted the device');

  assert.ok(sample(metrics, 'safeflash_notifications_missed_total', { phase: 'backup' }) >= 1, 'device 3 never notifies: its operations end by polling');
  assert.ok(
    sample(metrics, 'safeflash_notifications_received_total', { kind: 'operationCompleted' }) >= 2 * 3,
    "the other devices notify every operation's end",
  );

  const served = sample(metrics, 'safeflash_file_bytes_total', { protocol: 'tftp', direction: 'read' });
  assert.ok(served >= 3 * imageFile.length, `images served: ${served} bytes`);
  assert.ok(sample(metrics, 'safeflash_file_bytes_total', { protocol: 'tftp', direction: 'write' }) > 0, 'backups uploaded');
  // The scrape itself read active runs through the store's pool: it holds a connection, busy or idle again, and nothing waits once the runs ended.
  assert.ok(
    sample(metrics, 'safeflash_database_connections', { pool: 'store', state: 'busy' }) +
      sample(metrics, 'safeflash_database_connections', { pool: 'store', state: 'idle' }) >=
      1,
    metrics,
  );
  assert.match(metrics, /^safeflash_database_connections\{pool="store",state="waiting"\} \d+$/m);
});

test('run log lines are JSON with the run and device ids', () => {
  const runLines = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => typeof l.runId === 'string');
  assert.ok(runLines.length > 20, `${runLines.length} run log lines`);
  for (const line of runLines) {
    assert.equal(typeof line.deviceId, 'number');
    assert.equal(typeof line.phase, 'string');
    assert.equal(typeof line.event, 'string');
    assert.equal(typeof line.msg, 'string');
  }
  assert.ok(runLines.some((l) => l.event === 'runEnded' && l.cause === 'rolledBack'));
  assert.ok(!logLines.some((l) => l.includes(token.split('.')[2]!)), 'the operator token is never logged');
});
