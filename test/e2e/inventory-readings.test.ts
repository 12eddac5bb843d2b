// What the inventory knows of a device comes from reading it: discovery reads model, versions, banks and
// configuration format and records when each device was seen; a refresh reads one device again. Against
// a real manager and a real fleet on loopback, through the API. The manager here may also talk to
// 192.0.2.0/24: a device there is accepted into the inventory, and nothing is ever sent to it.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Fleet } from '../../src/agent/fleet.ts';
import type { ServedManager } from '../../src/interfaces/http/serve.ts';
import { testUser } from '../helpers/snmp-device.ts';
import { operatorToken, startLoopbackFleet, startLoopbackManager } from '../helpers/loopback-lab.ts';

const model = 'IAD-2400';
const credentials = { v3User: testUser.name, authKey: testUser.authKey, privKey: testUser.privKey };

let dir: string;
let manager: ServedManager;
let fleet: Fleet;
let third: number;
let fleetPort: number;
let token: string;
const changed: number[] = [];

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${manager.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, text, json: text ? JSON.parse(text) : undefined };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sf-readings-'));
  await chmod(dir, 0o755);
  third = 1 + Math.floor(Math.random() * 250);
  fleetPort = 20000 + Math.floor(Math.random() * 20000);
  fleet = await startLoopbackFleet(dir, { devices: 2, baseAddress: `127.14.${third}.1`, port: fleetPort, rebootMs: 100 });
  manager = await startLoopbackManager(dir, {
    allowedNetworks: ['127.0.0.0/8', '192.0.2.0/24'],
  });
  manager.live.on('deviceChanged', (event) => changed.push(event.deviceId));
  token = await operatorToken(manager);
});

after(async () => {
  await manager?.stop();
  await fleet?.stop();
  await rm(dir, { recursive: true, force: true });
});

const factoryBanks = [
  { bank: 'bankA', state: 'valid', version: '1.0.0', configFormat: 1 },
  { bank: 'bankB', state: 'empty', version: '', configFormat: 0 },
];

describe('readings in the inventory', () => {
  test('a device added by hand is unread: no model, no banks, never seen', async () => {
    const added = await api('POST', '/api/devices', { address: fleet.members[0]!.address, port: fleetPort, name: 'by-hand', ...credentials });
    assert.equal(added.status, 201, added.text);
    assert.equal(added.json.model, null);
    assert.equal(added.json.banks, null);
    assert.equal(added.json.lastSeenAt, null);
    assert.ok(changed.includes(added.json.id), 'the dashboard is told');
  });

  test('discovery reads model, version, banks and format of every device, refreshing the known one', async () => {
    changed.length = 0;
    const report = await api('POST', '/api/devices/discover', { cidr: `127.14.${third}.0/30`, port: fleetPort, timeoutMs: 500, ...credentials });
    assert.equal(report.status, 200, report.text);
    assert.deepEqual(
      report.json.found.map((f: { added: boolean }) => f.added),
      [false, true],
    );
    for (const { device } of report.json.found) {
      assert.equal(device.model, model);
      assert.equal(device.runningVersion, '1.0.0');
      assert.equal(device.configFormat, 1);
      assert.equal(device.activeBank, 'bankA');
      assert.deepEqual(device.banks, factoryBanks);
      assert.ok(device.lastSeenAt, 'seen');
    }
    assert.deepEqual([...changed].sort(), report.json.found.map((f: { device: { id: number } }) => f.device.id).sort(), 'every device found is announced');
    const listed = (await api('GET', '/api/devices')).json.find((d: { name: string }) => d.name === 'by-hand');
    assert.equal(listed.model, model, 'the inventory keeps what discovery read');
    assert.deepEqual(listed.banks, factoryBanks);
  });

  test('a refresh reads one device again and moves its "seen" time', async () => {
    const before = (await api('GET', '/api/devices/by-hand')).json;
    const refreshed = await api('POST', '/api/devices/by-hand/refresh');
    assert.equal(refreshed.status, 200, refreshed.text);
    assert.equal(refreshed.json.model, model);
    assert.deepEqual(refreshed.json.banks, factoryBanks);
    assert.ok(new Date(refreshed.json.lastSeenAt) > new Date(before.lastSeenAt), `${before.lastSeenAt} then ${refreshed.json.lastSeenAt}`);
    assert.equal((await api('POST', '/api/devices/no-such-device/refresh')).status, 404);
  });

  test('a device that does not answer is reported and its row left as it was', async () => {
    const silent = await api('POST', '/api/devices', { address: `127.14.${third}.3`, port: fleetPort, name: 'silent', ...credentials });
    assert.equal(silent.status, 201, silent.text);
    const refused = await api('POST', '/api/devices/silent/refresh');
    assert.equal(refused.status, 502, refused.text);
    assert.match(refused.json.error, /silent .* could not be read: no answer/);
    const after = (await api('GET', '/api/devices/silent')).json;
    assert.equal(after.lastSeenAt, null);
  });

  test('a device removed is announced, so that the dashboard drops it', async () => {
    const silent = (await api('GET', '/api/devices/silent')).json;
    changed.length = 0;
    assert.equal((await api('DELETE', '/api/devices/silent')).status, 200);
    assert.deepEqual(changed, [silent.id]);
    assert.equal((await api('DELETE', '/api/devices/silent')).status, 404);
    assert.deepEqual(changed, [silent.id], 'a refused removal announces nothing');
  });
});

describe('a manager allowed 192.0.2.0/24 besides loopback', () => {
  test('adds a device there without sending anything', async () => {
    const added = await api('POST', '/api/devices', { address: '192.0.2.1', community: 'public' });
    assert.equal(added.status, 201, added.text);
    assert.equal(added.json.name, '192.0.2.1');
    assert.equal(added.json.lastSeenAt, null, 'never read');
  });

  test('still refuses other networks, naming --allow-networks', async () => {
    const refused = await api('POST', '/api/devices', { address: '198.51.100.1', community: 'public' });
    assert.equal(refused.status, 400, refused.text);
    assert.match(refused.json.error, /outside the networks this manager may talk to \(127\.0\.0\.0\/8, 192\.0\.2\.0\/24\).*--allow-networks/);
    const discover = await api('POST', '/api/devices/discover', { cidr: '192.0.3.0/24', community: 'public' });
    assert.equal(discover.status, 400, discover.text);
    assert.match(discover.json.error, /block 192\.0\.3\.0\/24 is outside.*--allow-networks/);
  });
});
