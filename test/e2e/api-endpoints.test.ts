// The API's endpoints beyond the inventory (see api-inventory.test.ts), against a real manager and one
// virtual device on loopback: runs (listing and its query), backups (taken on demand, listed),
// campaigns, and the refusals every endpoint owes bad input — malformed or oversize bodies, unknown
// ids, wrong media types, bad queries — each a 4xx that changes nothing. No answer holds a credential.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { Fleet } from '../../src/agent/fleet.ts';
import type { ServedManager } from '../../src/interfaces/http/serve.ts';
import { testUser } from '../helpers/snmp-device.ts';
import { operatorToken, startLoopbackFleet, startLoopbackManager } from '../helpers/loopback-lab.ts';

const secrets = [testUser.authKey, testUser.privKey];

let dir: string;
let manager: ServedManager;
let fleet: Fleet;
let token: string;
let deviceName: string;

async function api(method: string, path: string, body?: unknown, contentType?: string): Promise<{ status: number; text: string; json: any }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = contentType ?? 'application/json';
  const response = await fetch(`${manager.url}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  for (const secret of secrets) assert.ok(!text.includes(secret), `an answer holds a credential: ${text.slice(0, 200)}`);
  return { status: response.status, text, json: text ? JSON.parse(text) : undefined };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sf-endpoints-'));
  await chmod(dir, 0o755);
  const third = 1 + Math.floor(Math.random() * 250);
  const port = 20000 + Math.floor(Math.random() * 20000);
  fleet = await startLoopbackFleet(dir, { devices: 1, baseAddress: `127.6.${third}.1`, port, rebootMs: 100 });
  manager = await startLoopbackManager(dir, {
    timeouts: { pollSeconds: 0.5 },
  });
  token = await operatorToken(manager);
  deviceName = 'unit-1';
  const added = await api('POST', '/api/devices', {
    address: fleet.members[0]!.address,
    port,
    name: deviceName,
    v3User: testUser.name,
    authKey: testUser.authKey,
    privKey: testUser.privKey,
  });
  assert.equal(added.status, 201, added.text);
});

after(async () => {
  await manager?.stop();
  await fleet?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('devices', () => {
  test('one device, named by name, id or address', async () => {
    const byName = await api('GET', `/api/devices/${deviceName}`);
    assert.equal(byName.status, 200);
    assert.equal((await api('GET', `/api/devices/${byName.json.id}`)).json.name, deviceName);
    assert.equal((await api('GET', `/api/devices/${fleet.members[0]!.address}`)).json.name, deviceName);
    assert.equal((await api('GET', `/api/devices/${'x'.repeat(65)}`)).status, 400, 'a reference longer than any name');
  });

  test('an oversize body is refused (413) and adds nothing', async () => {
    const answer = await api('POST', '/api/devices', { address: '127.0.88.1', name: 'x'.repeat(2 * 1024 * 1024) });
    assert.equal(answer.status, 413, answer.text);
    assert.equal((await api('GET', '/api/devices')).json.length, 1);
  });
});

describe('backups', () => {
  test('taken on demand: 202 with the run, then listed with its digests', async () => {
    assert.deepEqual((await api('GET', `/api/devices/${deviceName}/backups`)).json, []);
    const started = await api('POST', `/api/devices/${deviceName}/backup`, { operator: 'alice' });
    assert.equal(started.status, 202, started.text);
    let run: any;
    for (let i = 0; i < 300; i++) {
      run = (await api('GET', `/api/runs/${started.json.runId}`)).json.run;
      if (run.outcome) break;
      await sleep(100);
    }
    assert.equal(run.state, 'verified', JSON.stringify(run));
    assert.equal(run.startedBy, 'operator:alice');
    const backups = await api('GET', `/api/devices/${deviceName}/backups`);
    assert.equal(backups.json.length, 1);
    assert.equal(backups.json[0].kind, 'backup');
    assert.match(backups.json[0].sha256, /^[0-9a-f]{64}$/);
  });

  test('bad input: unknown fields, bad operator names, wrong media type', async () => {
    assert.equal((await api('POST', `/api/devices/${deviceName}/backup`, { colour: 'red' })).status, 400);
    assert.equal((await api('POST', `/api/devices/${deviceName}/backup`, { operator: 'two words' })).status, 400);
    assert.equal((await api('POST', `/api/devices/${deviceName}/backup`, '{"operator":', 'application/json')).status, 400);
    assert.equal((await api('POST', `/api/devices/${deviceName}/backup`, 'operator=bob', 'text/plain')).status, 415);
    assert.equal((await api('GET', `/api/devices/${deviceName}/backups`)).json.length, 1, 'nothing more was taken');
  });
});

describe('runs', () => {
  test('listed newest first, filtered by device and state', async () => {
    const all = await api('GET', '/api/runs');
    assert.equal(all.status, 200);
    assert.equal(all.json.length, 1);
    assert.equal((await api('GET', `/api/runs?device=${deviceName}&state=verified`)).json.length, 1);
    assert.equal((await api('GET', '/api/runs?state=failed')).json.length, 0);
    const limited = await api('GET', '/api/runs?limit=1');
    assert.equal(limited.status, 200, limited.text);
    assert.equal(limited.json.length, 1);
  });

  test('a bad query is 400, an unknown device 404', async () => {
    for (const query of ['limit=many', 'limit=0', 'limit=1001', 'state=happy', 'colour=red', `device=${'x'.repeat(65)}`]) {
      const answer = await api('GET', `/api/runs?${query}`);
      assert.equal(answer.status, 400, `${query}: ${answer.text}`);
      assert.ok(answer.json.error.length > 0);
    }
    assert.equal((await api('GET', '/api/runs?device=no-such-device')).status, 404);
  });

  test('a decision with an oversize edited configuration is refused', async () => {
    const runId = (await api('GET', '/api/runs')).json[0].id;
    const answer = await api('POST', `/api/runs/${runId}/decision`, { answer: 'retry', config: 'x'.repeat(1024 * 1024 + 1) });
    assert.ok(answer.status === 400 || answer.status === 413, `${answer.status} ${answer.text}`);
    assert.equal((await api('POST', `/api/runs/${runId}/decision`, 'answer=retry', 'application/x-www-form-urlencoded')).status, 415);
  });
});

describe('campaigns', () => {
  test('listed (none yet); a bad query is 400', async () => {
    const list = await api('GET', '/api/campaigns');
    assert.equal(list.status, 200);
    assert.deepEqual(list.json, []);
    for (const query of ['limit=0', 'limit=x', 'colour=red']) assert.equal((await api('GET', `/api/campaigns?${query}`)).status, 400, query);
  });

  test('creating one with a malformed body, unknown fields or the wrong media type is refused and creates nothing', async () => {
    for (const [body, contentType] of [
      ['{"name": ', 'application/json'],
      [{}, 'application/json'],
      [{ colour: 'red' }, 'application/json'],
      ['name: x', 'text/plain'],
    ] as Array<[unknown, string]>) {
      const answer = await api('POST', '/api/campaigns', body, contentType);
      assert.ok(answer.status === 400 || answer.status === 415, `${JSON.stringify(body)}: ${answer.status} ${answer.text}`);
    }
    assert.deepEqual((await api('GET', '/api/campaigns')).json, []);
  });

  test('unknown campaigns are 404 for every action', async () => {
    assert.equal((await api('GET', '/api/campaigns/no-such-campaign')).status, 404);
    for (const action of ['pause', 'resume', 'abort', 'approve']) {
      const answer = await api('POST', `/api/campaigns/no-such-campaign/${action}`, {});
      assert.equal(answer.status, 404, `${action}: ${answer.text}`);
    }
  });
});
