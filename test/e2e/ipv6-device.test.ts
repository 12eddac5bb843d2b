// A device on the IPv6 loopback (::1), managed end to end by a real manager: added and discovered through
// the API (read over SNMP on udp6), then upgraded by a whole run whose file server (TFTP) and notification
// receiver are handed to the device as ipv6 InetAddresses. Also the allowed networks as the API applies
// them: addresses and blocks outside are refused, naming --allow-networks, before anything is sent.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { VirtualDevice } from '../../src/agent/device.ts';
import { DeviceAgent } from '../../src/agent/snmp/device-agent.ts';
import { ensureVendorSoftware, vendorKeyPrefix } from '../../src/agent/vendor-key.ts';
import { DeviceDriver } from '../../src/manager/device-driver.ts';
import { serveManager, type ServedManager } from '../../src/interfaces/http/serve.ts';
import type { RunRecord } from '../../src/manager/store/records.ts';
import { packImage } from '../../src/protocol/image.ts';
import { keyPairFiles, readPrivateKey } from '../../src/protocol/keys.ts';
import { testUser, v3 } from '../helpers/snmp-device.ts';

const model = 'IAD-2400';
const credentials = { v3User: testUser.name, authKey: testUser.authKey, privKey: testUser.privKey };
const finalStates = ['verified', 'failed', 'rolledBack', 'aborted'];

let dir: string;
let device: VirtualDevice;
let agent: DeviceAgent;
let manager: ServedManager;
let token: string;
let vendorPrivateKeyFile: string;

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${manager.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, text, json: text ? JSON.parse(text) : undefined };
}

async function readDevice() {
  const driver = new DeviceDriver({ endpoint: agent.endpoint, security: v3 }, { timeoutMs: 1000, retries: 2 });
  try {
    return await driver.read();
  } finally {
    driver.close();
  }
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sf-ipv6-'));
  await chmod(dir, 0o755);
  const agentDir = join(dir, 'agent');
  const software = ensureVendorSoftware(agentDir, model);
  vendorPrivateKeyFile = keyPairFiles(vendorKeyPrefix(agentDir)).privateKeyFile;
  device = new VirtualDevice({
    address: '::1',
    stateDir: join(agentDir, 'device'),
    model,
    serial: 'SF-IPV6-1',
    trustedKeys: [software.trustedKey],
    factoryImage: software.factoryImage,
    rebootMs: 100,
  });
  agent = await DeviceAgent.start({ device, address: '::1', port: 0, users: [testUser], communities: [], notifySecurity: v3 });
  await device.start();
  manager = await serveManager({
    dataDir: join(dir, 'manager'),
    http: { address: '127.0.0.1', port: 0 },
    // The device is on ::1: the addresses it is told to fetch from and notify to must be IPv6 too.
    notifications: { address: '::1', port: 0, users: [testUser] },
    tftp: { address: '::1', port: 0 },
    ftp: { address: '127.0.0.1', port: 0 },
    trustedKeyFiles: [keyPairFiles(vendorKeyPrefix(agentDir)).publicKeyFile],
    timeouts: { backupSeconds: 10, downloadSeconds: 10, bootSeconds: 10, restoreSeconds: 10, pollSeconds: 0.5 },
    logger: pino({ level: 'silent' }),
  });
  token = (await readFile(manager.operatorTokenFile, 'utf8')).trim();
});

after(async () => {
  await manager?.stop();
  await agent?.stop();
  await device?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('a device on ::1', () => {
  test('added through the API: stored under one spelling, named with brackets', async () => {
    const added = await api('POST', '/api/devices', { address: '0:0:0:0:0:0:0:1', port: agent.endpoint.port, ...credentials });
    assert.equal(added.status, 201, added.text);
    assert.equal(added.json.address, '::1');
    assert.equal(added.json.name, `[::1]:${agent.endpoint.port}`);
    assert.equal(added.json.model, null, 'not read yet');
  });

  test('discovered over udp6: model, version, bank and format read, the known device refreshed', async () => {
    const report = await api('POST', '/api/devices/discover', { cidr: '::1/128', port: agent.endpoint.port, timeoutMs: 1000, ...credentials });
    assert.equal(report.status, 200, report.text);
    assert.equal(report.json.scanned, 1);
    assert.deepEqual(report.json.unreadable, []);
    assert.equal(report.json.found.length, 1);
    const { device: found, added } = report.json.found[0];
    assert.equal(added, false);
    assert.equal(found.model, model);
    assert.equal(found.runningVersion, '1.0.0');
    assert.equal(found.configFormat, 1);
    assert.equal(found.activeBank, 'bankA');
    assert.ok(found.lastSeenAt, 'seen');
  });

  test('a whole upgrade run over IPv6: preflight, backup, download, reboot, restore, verify', async () => {
    const signed = packImage({ model, version: '2.0.0', configFormat: 1 }, Buffer.from('software 2.0.0 over IPv6\n'), readPrivateKey(vendorPrivateKeyFile));
    const image = await manager.files.addImage(signed);
    const [record] = await manager.inventory.devices.list();
    const before = await readDevice();
    const small = { retries: 1, backoffSeconds: 0.2, then: 'abort' as const };
    const started = await manager.procedure.startRun({
      deviceId: record!.id,
      imageSha256: image.sha256,
      policy: { backup: small, upgrade: small, migrate: small, restore: small },
      startedBy: 'operator:tester',
    });
    let run: RunRecord | undefined;
    for (let waited = 0; waited < 600; waited++) {
      run = await manager.procedure.runs.get(started.id);
      if (run && finalStates.includes(run.state)) break;
      await sleep(100);
    }
    const timeline = await manager.procedure.runs.timeline(started.id);
    const story = timeline.map((e) => `${e.phase} ${e.kind} ${e.cause ?? ''} ${e.message}`).join('\n');
    assert.equal(run?.state, 'verified', story);
    assert.ok(
      timeline.some((e) => e.phase === 'preflight' && e.kind === 'phaseSucceeded'),
      story,
    );
    const now = await readDevice();
    assert.equal(now.runningVersion, '2.0.0');
    assert.notEqual(now.activeBank, before.activeBank);
    assert.equal(now.configDigest, before.configDigest);
    // The device was told IPv6 addresses: every operation's file server and notify target is ::1.
    const operations = device.operations();
    assert.ok(operations.length >= 4, `${operations.length} operations`);
    for (const op of operations) {
      if (op.request.server) assert.equal(op.request.server.address, '::1', op.request.type);
      assert.equal(op.request.notifyTarget?.address, '::1', op.request.type);
    }
  });
});

describe('allowed networks through the API (loopback only: the default)', () => {
  test('an address outside is refused, naming --allow-networks; nothing is stored', async () => {
    const count = (await api('GET', '/api/devices')).json.length;
    for (const address of ['192.0.2.1', '2001:db8::1', '::ffff:192.0.2.1']) {
      const refused = await api('POST', '/api/devices', { address });
      assert.equal(refused.status, 400, refused.text);
      assert.match(refused.json.error, /outside the networks this manager may talk to.*--allow-networks/, address);
    }
    assert.equal((await api('GET', '/api/devices')).json.length, count);
  });

  test('discovery of a block outside is refused before any packet', async () => {
    for (const cidr of ['192.0.2.0/24', '2001:db8::/120', '10.0.0.0/16', '::/112']) {
      const refused = await api('POST', '/api/devices/discover', { cidr, timeoutMs: 100 });
      assert.equal(refused.status, 400, `${cidr}: ${refused.text}`);
      assert.match(refused.json.error, /--allow-networks/, cidr);
    }
  });

  test('a device row from elsewhere (an older build, another manager) is never sent to: its run stops in preflight', async () => {
    const foreign = await manager.inventory.devices.add(
      { name: 'foreign', address: '192.0.2.7', port: 161, security: v3, tags: [] },
      { action: 'device.add', actor: 'operator:tester' },
    );
    const [image] = await manager.files.listImages();
    const started = await manager.procedure.startRun({ deviceId: foreign.id, imageSha256: image!.sha256, startedBy: 'operator:tester' });
    let run: RunRecord | undefined;
    for (let waited = 0; waited < 300; waited++) {
      run = await manager.procedure.runs.get(started.id);
      if (run && finalStates.includes(run.state)) break;
      await sleep(100);
    }
    const timeline = await manager.procedure.runs.timeline(started.id);
    const failed = timeline.find((e) => e.phase === 'preflight' && e.kind === 'phaseFailed');
    assert.equal(failed?.cause, 'networkNotAllowed', timeline.map((e) => `${e.phase} ${e.kind} ${e.message}`).join('\n'));
    assert.match(failed!.message, /--allow-networks/);
  });
});
