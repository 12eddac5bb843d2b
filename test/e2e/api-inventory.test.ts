// The manager's HTTP API against a real manager (embedded PostgreSQL, DBOS) and a real virtual fleet on
// loopback: inventory (add, discover, list, remove, import), refusals of bad input, OpenAPI, metrics.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Fleet } from '../../src/agent/fleet.ts';
import { vendorKeyPrefix } from '../../src/agent/vendor-key.ts';
import { keyPairFiles, readPrivateKey } from '../../src/protocol/keys.ts';
import { packImage } from '../../src/protocol/image.ts';
import type { ServedManager } from '../../src/interfaces/http/serve.ts';
import { testUser } from '../helpers/snmp-device.ts';
import { operatorToken, startLoopbackFleet, startLoopbackManager } from '../helpers/loopback-lab.ts';

const model = 'IAD-2400';
const secrets = [testUser.authKey, testUser.privKey, 'sekret-community'];

let dir: string;
let manager: ServedManager;
let fleet: Fleet;
let block: string;
let fleetPort: number;
let token: string;

async function api(method: string, path: string, body?: unknown, contentType?: string) {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  let payload: string | Blob | undefined;
  if (body !== undefined) {
    headers['content-type'] = contentType ?? 'application/json';
    payload = Buffer.isBuffer(body) ? new Blob([new Uint8Array(body)]) : typeof body === 'string' ? body : JSON.stringify(body);
  }
  const response = await fetch(`${manager.url}${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
  const text = await response.text();
  return { status: response.status, text, json: text ? JSON.parse(text) : undefined };
}

function assertNoSecrets(text: string): void {
  for (const secret of secrets) assert.ok(!text.includes(secret), `response must not contain a credential: ${text.slice(0, 200)}`);
  assert.ok(!/authKey|privKey|"security"|community"/.test(text), `response must not name credentials: ${text.slice(0, 200)}`);
}

async function deviceCount(): Promise<number> {
  return (await api('GET', '/api/devices')).json.length;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sf-api-'));
  // As root, PostgreSQL runs as another user, who must be able to enter the data directory.
  await chmod(dir, 0o755);
  // A block of its own per run: 127.4.x.0/29 holds devices .1 to .3 (and nothing on .4 to .6).
  const third = 1 + Math.floor(Math.random() * 250);
  block = `127.4.${third}.0/29`;
  fleetPort = 20000 + Math.floor(Math.random() * 20000);
  fleet = await startLoopbackFleet(dir, { devices: 3, baseAddress: `127.4.${third}.1`, port: fleetPort, rebootMs: 100 });
  manager = await startLoopbackManager(dir);
  token = await operatorToken(manager);
});

after(async () => {
  await manager?.stop();
  await fleet?.stop();
  await rm(dir, { recursive: true, force: true });
});

const v3 = { v3User: testUser.name, authKey: testUser.authKey, privKey: testUser.privKey };

describe('inventory', () => {
  test('add a device: its credentials are kept but never returned', async () => {
    const address = fleet.members[0]!.address;
    const added = await api('POST', '/api/devices', { address, port: fleetPort, name: 'first', tags: ['lab'], ...v3 });
    assert.equal(added.status, 201, added.text);
    assert.equal(added.json.name, 'first');
    assert.equal(added.json.securityModel, 'v3');
    assert.deepEqual(added.json.tags, ['lab']);
    assertNoSecrets(added.text);
    const again = await api('POST', '/api/devices', { address, port: fleetPort, name: 'other', ...v3 });
    assert.equal(again.status, 409, 'same address and port twice');
    const sameName = await api('POST', '/api/devices', { address: '127.0.9.9', name: 'first', community: 'sekret-community' });
    assert.equal(sameName.status, 409, 'same name twice');
    assert.equal(await deviceCount(), 1);
  });

  test('discover a loopback block: every device that answers is read and added, the known one refreshed', async () => {
    const report = await api('POST', '/api/devices/discover', { cidr: block, port: fleetPort, timeoutMs: 300, ...v3 });
    assert.equal(report.status, 200, report.text);
    assert.equal(report.json.scanned, 6);
    const found = report.json.found as Array<{
      device: { address: string; model: string; runningVersion: string; configFormat: number; activeBank: string };
      added: boolean;
    }>;
    assert.deepEqual(found.map((f) => f.device.address).sort(), fleet.members.map((m) => m.address).sort());
    assert.deepEqual(
      found.map((f) => f.added),
      [false, true, true],
    );
    for (const f of found) {
      assert.equal(f.device.model, model);
      assert.equal(f.device.runningVersion, '1.0.0');
      assert.equal(f.device.configFormat, 1);
      assert.ok(['bankA', 'bankB'].includes(f.device.activeBank), f.device.activeBank);
    }
    assert.deepEqual(report.json.unreadable, []);
    assertNoSecrets(report.text);
    assert.equal(await deviceCount(), 3);
  });

  test('discover with wrong credentials adds nothing', async () => {
    const before = await deviceCount();
    const report = await api('POST', '/api/devices/discover', {
      cidr: block,
      port: fleetPort,
      timeoutMs: 300,
      v3User: 'nobody',
      authKey: 'wrong-key-1',
      privKey: 'wrong-key-2',
    });
    assert.equal(report.status, 200, report.text);
    assert.equal(report.json.found.length, 0);
    assert.equal(await deviceCount(), before);
  });

  test('discover refuses blocks it may not scan, before sending anything', async () => {
    for (const cidr of ['10.0.0.0/24', '127.0.0.0/8', '127.0.1.0/33', '127.0.1.5/24', 'not-a-block', '192.168.1.1']) {
      const refused = await api('POST', '/api/devices/discover', { cidr, ...v3 });
      assert.equal(refused.status, 400, `${cidr}: ${refused.text}`);
      assert.match(refused.json.error, /--allow-networks|at most|prefix|host bits|not a network/, cidr);
    }
  });

  test('list shows every device without credentials', async () => {
    const list = await api('GET', '/api/devices');
    assert.equal(list.status, 200);
    assert.equal(list.json.length, 3);
    assertNoSecrets(list.text);
  });

  test('remove by name, then the name is unknown', async () => {
    const removed = await api('DELETE', '/api/devices/first');
    assert.equal(removed.status, 200, removed.text);
    assert.equal(removed.json.name, 'first');
    assert.equal((await api('DELETE', '/api/devices/first')).status, 404);
    assert.equal(await deviceCount(), 2);
  });

  test('import CSV: all rows, or none when one is wrong', async () => {
    const good =
      'name,address,port,v3_user,auth_key,priv_key,community,tags\ncsv-1,127.0.8.1,16100,,,,sekret-community,lab;north\n"csv-2",127.0.8.2,,u1,auth-key-9999,priv-key-9999,,\n';
    const added = await api('POST', '/api/devices/import', good, 'text/csv');
    assert.equal(added.status, 201, added.text);
    assert.deepEqual(
      added.json.added.map((d: { name: string }) => d.name),
      ['csv-1', 'csv-2'],
    );
    assert.deepEqual(added.json.added[0].tags, ['lab', 'north']);
    assertNoSecrets(added.text);

    const count = await deviceCount();
    const bad = 'address,name,community\n127.0.8.3,csv-3,c1\n10.1.1.1,csv-4,c1\n127.0.8.5,csv-5,\n127.0.8.6,csv-3,c1\n';
    const refused = await api('POST', '/api/devices/import', bad, 'text/csv');
    assert.equal(refused.status, 400, refused.text);
    assert.ok(
      refused.json.problems.some((p: string) => p.startsWith('line 3:') && p.includes('--allow-networks')),
      refused.text,
    );
    assert.ok(
      refused.json.problems.some((p: string) => p.startsWith('line 5:') && p.includes('csv-3')),
      refused.text,
    );
    assert.equal(await deviceCount(), count, 'nothing added');
  });

  test('import YAML: all rows, or none when one clashes with the inventory', async () => {
    const good =
      'devices:\n  - address: 127.0.8.11\n    name: yaml-1\n    community: sekret-community\n  - address: 127.0.8.12\n    port: 16200\n    tags: [east]\n';
    const added = await api('POST', '/api/devices/import', good, 'application/yaml');
    assert.equal(added.status, 201, added.text);
    assert.deepEqual(
      added.json.added.map((d: { name: string }) => d.name),
      ['yaml-1', '127.0.8.12:16200'],
    );

    const count = await deviceCount();
    const clash = '- address: 127.0.8.13\n  name: yaml-3\n- address: 127.0.8.14\n  name: yaml-1\n';
    const refused = await api('POST', '/api/devices/import', clash, 'application/yaml');
    assert.equal(refused.status, 409, refused.text);
    assert.equal(await deviceCount(), count, 'the first row was rolled back with the second');
    assert.equal((await api('GET', '/api/devices/yaml-3')).status, 404);

    for (const broken of ['- [unclosed', 'just: a mapping', '- 42', '- address: 127.0.8.15\n  colour: red']) {
      const answer = await api('POST', '/api/devices/import', broken, 'application/yaml');
      assert.equal(answer.status, 400, `${broken}: ${answer.text}`);
    }
    assert.equal(await deviceCount(), count);
  });
});

describe('bad input', () => {
  test('unknown ids are 404', async () => {
    for (const [method, path, body] of [
      ['GET', '/api/devices/99999'],
      ['GET', '/api/devices/no-such-device'],
      ['DELETE', '/api/devices/no-such-device'],
      ['GET', '/api/devices/no-such-device/backups'],
      ['POST', '/api/devices/no-such-device/backup', {}],
      ['GET', `/api/images/${'0'.repeat(64)}`],
      ['GET', '/api/runs/run-999999'],
      ['POST', '/api/runs/run-999999/decision', { answer: 'retry' }],
      ['POST', '/api/runs', { device: 'no-such-device', image: '0'.repeat(64) }],
      ['GET', '/api/nothing-here'],
    ] as Array<[string, string, unknown?]>) {
      const answer = await api(method, path, body);
      assert.equal(answer.status, 404, `${method} ${path}: ${answer.text}`);
      assert.equal(typeof answer.json.error, 'string');
    }
  });

  test('malformed bodies are 400 with the problems named, and change nothing', async () => {
    const count = await deviceCount();
    for (const [path, body] of [
      ['/api/devices', '{"address": '],
      ['/api/devices', { name: 'no-address' }],
      ['/api/devices', { address: '127.0.8.30', port: 70000 }],
      ['/api/devices', { address: '127.0.8.30', colour: 'red' }],
      ['/api/devices', { address: '127.0.8.30', v3User: 'u', authKey: 'short', privKey: 'priv-key-1234' }],
      ['/api/devices', { address: '127.0.8.30', community: 'c', v3User: 'u', authKey: 'auth-key-1234', privKey: 'priv-key-1234' }],
      ['/api/devices', { address: '127.0.8.30', name: '12345' }],
      ['/api/devices', { address: '8.8.8.8' }],
      ['/api/runs', { device: 'yaml-1' }],
      ['/api/runs', { device: 'yaml-1', image: 'xyz' }],
      ['/api/runs', { device: 'yaml-1', image: '0'.repeat(64), policy: { upgrade: { retries: -1 } } }],
      ['/api/runs', { device: 'yaml-1', image: '0'.repeat(64), policy: { reboot: {} } }],
      ['/api/runs/run-1/decision', { answer: 'maybe' }],
    ] as Array<[string, unknown]>) {
      const answer = await api('POST', path, body);
      assert.equal(answer.status, 400, `${path} ${JSON.stringify(body)}: ${answer.text}`);
      assert.ok(answer.json.error.length > 0);
    }
    assert.equal(await deviceCount(), count);
  });

  test('a body of the wrong type is 415', async () => {
    assert.equal((await api('POST', '/api/devices', 'address=127.0.8.40', 'text/plain')).status, 415);
    assert.equal((await api('POST', '/api/devices', 'address=127.0.8.40', 'application/x-www-form-urlencoded')).status, 415);
    assert.equal((await api('POST', '/api/images', { image: 'x' })).status, 415);
    assert.equal((await api('POST', '/api/devices/import', [{ address: '127.0.8.41' }])).status, 415);
  });

  test('images: a signed one is taken once, a tampered or foreign one refused with the reason', async () => {
    const key = readPrivateKey(keyPairFiles(vendorKeyPrefix(join(dir, 'vendor'))).privateKeyFile);
    const image = packImage({ model, version: '1.1.0', configFormat: 1 }, Buffer.from('new software'), key);
    const added = await api('POST', '/api/images', image, 'application/octet-stream');
    assert.equal(added.status, 201, added.text);
    assert.equal(added.json.version, '1.1.0');
    const again = await api('POST', '/api/images', image, 'application/octet-stream');
    assert.equal(again.status, 200);
    assert.equal(again.json.sha256, added.json.sha256);

    const tampered = Buffer.from(image);
    tampered[tampered.length - 80] = tampered[tampered.length - 80]! ^ 0xff;
    const refused = await api('POST', '/api/images', tampered, 'application/octet-stream');
    assert.equal(refused.status, 422, refused.text);
    assert.equal(typeof refused.json.reason, 'string');

    const foreign = packImage(
      { model, version: '6.6.6', configFormat: 1 },
      Buffer.from('evil'),
      (await import('../../src/protocol/keys.ts')).generateKeyPair().privateKey,
    );
    const untrusted = await api('POST', '/api/images', foreign, 'application/octet-stream');
    assert.equal(untrusted.status, 422, untrusted.text);
    assert.equal((await api('GET', '/api/images')).json.length, 1);
    assert.equal((await api('GET', `/api/images/${added.json.sha256.slice(0, 10)}`)).json.sha256, added.json.sha256);
  });

  test('a decision for a run that does not wait is refused (409)', async () => {
    const images = (await api('GET', '/api/images')).json;
    // A device nobody answers at: the run fails in preflight and never waits... unless asked; use abort.
    const run = await api('POST', '/api/runs', { device: 'yaml-1', image: images[0].sha256, policy: { preflight: { retries: 0, then: 'abort' } } });
    assert.equal(run.status, 201, run.text);
    const second = await api('POST', '/api/runs', { device: 'yaml-1', image: images[0].sha256 });
    assert.equal(second.status, 409, `one active run per device: ${second.text}`);
    let state = run.json.state;
    for (let i = 0; i < 200 && (state === 'running' || state === 'waiting'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = (await api('GET', `/api/runs/${run.json.id}`)).json.run.state;
    }
    assert.notEqual(state, 'verified');
    const decision = await api('POST', `/api/runs/${run.json.id}/decision`, { answer: 'retry' });
    assert.equal(decision.status, 409, decision.text);
    const detail = await api('GET', `/api/runs/${run.json.id}`);
    assert.ok(detail.json.timeline.length > 0);
    assert.deepEqual(detail.json.decisions, []);
    assertNoSecrets(detail.text);
  });
});

describe('runs in a batch', () => {
  test('a run for every device that can start; the others refused each with its own status; an unknown image starts none', async () => {
    const images = (await api('GET', '/api/images')).json;
    const runsBefore = (await api('GET', '/api/runs')).json.length;
    const policy = { preflight: { retries: 0, then: 'abort' } };

    const unknownImage = await api('POST', '/api/runs/batch', { devices: ['yaml-1'], image: '0'.repeat(64), policy });
    assert.equal(unknownImage.status, 404, unknownImage.text);
    for (const body of [
      { devices: [], image: images[0].sha256 },
      { device: 'yaml-1', devices: ['yaml-1'], image: images[0].sha256 },
      { devices: ['yaml-1'] },
    ]) {
      const refused = await api('POST', '/api/runs/batch', body);
      assert.equal(refused.status, 400, `${JSON.stringify(body)}: ${refused.text}`);
    }
    assert.equal((await api('GET', '/api/runs')).json.length, runsBefore, 'nothing refused started a run');

    const batch = await api('POST', '/api/runs/batch', {
      devices: ['yaml-1', 'no-such-device', '127.0.8.12:16200', 'yaml-1'],
      image: images[0].sha256,
      policy,
      operator: 'batcher',
    });
    assert.equal(batch.status, 200, batch.text);
    assert.equal(batch.json.runs.length, 2, batch.text);
    assert.ok(batch.json.runs.every((run: { startedBy: string }) => run.startedBy === 'operator:batcher'));
    assert.deepEqual(
      batch.json.refused.map((r: { device: string; status: number }) => [r.device, r.status]).sort(),
      [
        ['no-such-device', 404],
        ['yaml-1', 409],
      ],
      'an unknown device, and the second run asked for one device',
    );
    assert.equal((await api('GET', '/api/runs')).json.length, runsBefore + 2);
    for (const run of batch.json.runs) {
      let state = run.state;
      for (let i = 0; i < 200 && (state === 'running' || state === 'waiting'); i++) {
        await new Promise((r) => setTimeout(r, 100));
        state = (await api('GET', `/api/runs/${run.id}`)).json.run.state;
      }
      assert.notEqual(state, 'running', 'nobody answers at these addresses: the run ends in preflight');
    }
  });
});

describe('documents', () => {
  test('/openapi.json describes every API route', async () => {
    const doc = await api('GET', '/openapi.json');
    assert.equal(doc.status, 200);
    assert.equal(doc.json.openapi, '3.1.0');
    for (const [path, method] of [
      ['/api/devices', 'get'],
      ['/api/devices', 'post'],
      ['/api/devices/{device}', 'delete'],
      ['/api/devices/discover', 'post'],
      ['/api/devices/import', 'post'],
      ['/api/images', 'post'],
      ['/api/runs', 'post'],
      ['/api/runs/{run}', 'get'],
      ['/api/runs/{run}/decision', 'post'],
      ['/api/devices/{device}/backups', 'get'],
      ['/api/devices/{device}/backup', 'post'],
    ] as Array<[string, string]>) {
      assert.ok(doc.json.paths[path]?.[method], `${method} ${path}`);
    }
    assert.ok(doc.json.components.schemas.Device);
    assert.ok(!JSON.stringify(doc.json).includes('"Device#"'), 'references point into components');
  });

  test('/metrics counts requests and added devices', async () => {
    const metrics = await fetch(`${manager.url}/metrics`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.text());
    assert.match(metrics, /safeflash_http_requests_total\{method="POST",route="\/api\/devices",status="201"\} 1/);
    assert.match(metrics, /safeflash_devices_added_total\{how="discover"\} 2/);
    assert.match(metrics, /safeflash_devices_added_total\{how="import"\} 4/);
    assert.match(metrics, /safeflash_images_added_total 1/);
  });
});
