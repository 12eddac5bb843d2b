// The audit export: a campaign with an approval between its waves, a run whose failed download asks an
// operator (who answers retry), a cancel, a token made and revoked, an image uploaded, devices added,
// imported, refreshed, removed and discovered (and refused, which leaves nothing). `safeflash audit
// export` prints them all as JSON lines, oldest first, with who, what and on what; /api/audit serves the
// same to a viewer; a bad --since or --until is a usage error (exit 2) and asks nothing of the manager.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CampaignRecord } from '../../src/manager/store/campaigns.ts';
import type { RunRecord } from '../../src/manager/store/records.ts';
import { testUser } from '../helpers/snmp-device.ts';
import { type CampaignWorld, createCampaign, quickPolicy, startCampaignWorld } from '../helpers/campaign-world.ts';
import { vendorKeyPrefix } from '../../src/agent/vendor-key.ts';
import { keyPairFiles, readPrivateKey } from '../../src/protocol/keys.ts';
import { labImage, labModel, operatorToken } from '../helpers/loopback-lab.ts';
import { runCli } from '../helpers/cli-process.ts';

let world: CampaignWorld;
let env: Record<string, string>;
const startedAt = new Date(Date.now() - 1000).toISOString();

before(async () => {
  // Device 4 fails its first download; its run asks an operator. Device 5 is left alone for the
  // inventory's test, which removes it and discovers it again.
  world = await startCampaignWorld({ devices: 5, faults: (n) => (n === 4 ? { failDownloads: { count: 1, cause: 'serverUnreachable' } } : {}) });
  env = { SAFEFLASH_SERVER: world.manager.url, SAFEFLASH_TOKEN: await operatorToken(world.manager) };
});

after(async () => {
  await world?.stop();
});

async function waitForRun(id: string, states: string[]): Promise<{ run: { state: string } }> {
  for (let i = 0; i < 600; i++) {
    const detail = await world.api<{ run: { state: string } }>('GET', `/api/runs/${id}`);
    if (states.includes(detail.json.run.state)) return detail.json;
    await sleep(200);
  }
  throw new Error(`run ${id} never reached ${states.join('|')}`);
}

interface Entry {
  at: string;
  actor: string;
  action: string;
  target: { run?: string; campaign?: string; device?: number; token?: number; image?: string };
  detail: Record<string, unknown>;
}

test('a campaign approved between waves, a run decision, a cancel and tokens are exported oldest first', { timeout: 180_000 }, async () => {
  const image = await world.image('4.0.0');
  const campaign = await createCampaign(world, {
    name: 'audited',
    image,
    devices: world.names.slice(0, 2),
    waves: '1,1',
    approval: true,
    policy: quickPolicy,
    operator: 'carol',
  });
  await world.waitForState(campaign.id, ['awaitingApproval']);
  const approved = await world.api<CampaignRecord>('POST', `/api/campaigns/${campaign.id}/approve`, { wave: 2, operator: 'dave' });
  assert.equal(approved.status, 200);
  await world.waitForState(campaign.id, ['completed']);

  const asking = await world.api<{ id: string }>('POST', '/api/runs', {
    device: world.names[3],
    image,
    policy: { upgrade: { retries: 0, then: 'ask' } },
    operator: 'erin',
  });
  assert.equal(asking.status, 201, JSON.stringify(asking.json));
  await waitForRun(asking.json.id, ['waiting']);
  const decided = await world.api('POST', `/api/runs/${asking.json.id}/decision`, { answer: 'retry', operator: 'frank' });
  assert.equal(decided.status, 201, JSON.stringify(decided.json));
  await waitForRun(asking.json.id, ['verified']);

  const staged = await world.api<{ id: string }>('POST', '/api/runs', { device: world.names[2], image, stage: true, policy: quickPolicy, operator: 'gina' });
  assert.equal(staged.status, 201, JSON.stringify(staged.json));
  await waitForRun(staged.json.id, ['staged']);
  const cancelled = await world.api('POST', `/api/runs/${staged.json.id}/cancel`, { operator: 'gina' });
  assert.ok(cancelled.status < 300, JSON.stringify(cancelled.json));
  await waitForRun(staged.json.id, ['aborted', 'failed', 'rolledBack']);

  const made = await runCli(['token', 'create', '--name', 'auditor', '--role', 'viewer', '--json'], { env });
  assert.equal(made.code, 0, made.stderr);
  const viewer = JSON.parse(made.stdout) as { id: number; token: string };
  const revoked = await runCli(['token', 'revoke', 'auditor'], { env });
  assert.equal(revoked.code, 0, revoked.stderr);
  // An image uploaded through the API, as `safeflash image add` does.
  const vendorKey = readPrivateKey(keyPairFiles(vendorKeyPrefix(join(dirname(dirname(world.manager.operatorTokenFile)), 'vendor'))).privateKeyFile);
  const uploaded = await fetch(`${world.manager.url}/api/images`, {
    method: 'POST',
    headers: { authorization: `Bearer ${env.SAFEFLASH_TOKEN}`, 'content-type': 'application/octet-stream' },
    body: new Blob([new Uint8Array(labImage(vendorKey, { model: labModel, version: '4.1.0' }))]),
  });
  assert.equal(uploaded.status, 201);
  const uploadedSha256 = ((await uploaded.json()) as { sha256: string }).sha256;

  const exported = await runCli(['audit', 'export', '--since', '1h'], { env });
  assert.equal(exported.code, 0, exported.stderr);
  const entries = exported.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Entry);
  const times = entries.map((e) => Date.parse(e.at));
  assert.deepEqual(
    times,
    [...times].sort((a, b) => a - b),
    'oldest first',
  );
  for (const entry of entries) assert.deepEqual(Object.keys(entry).sort(), ['action', 'actor', 'at', 'detail', 'target']);

  const find = (action: string, actor: string) => entries.find((e) => e.action === action && e.actor === actor);
  const created = find('campaign.create', 'operator:carol');
  assert.equal(created?.target.campaign, campaign.id);
  assert.equal(created?.detail.name, 'audited');
  const approval = find('campaign.approve', 'operator:dave');
  assert.equal(approval?.target.campaign, campaign.id);
  assert.equal(approval?.detail.wave, 2);
  const start = find('run.start', 'operator:erin');
  assert.equal(start?.target.run, asking.json.id);
  assert.equal(typeof start?.target.device, 'number');
  const decision = find('run.decide', 'operator:frank');
  assert.equal(decision?.target.run, asking.json.id);
  assert.equal(decision?.detail.answer, 'retry');
  assert.equal(find('token.create', 'operator:bootstrap')?.target.token, viewer.id);
  assert.equal(find('token.revoke', 'operator:bootstrap')?.target.token, viewer.id);
  assert.equal(find('token.create', 'manager')?.detail.name, 'bootstrap', 'the bootstrap token, made by the manager at its first start');
  const upload = find('image.add', 'operator:bootstrap');
  assert.equal(upload?.target.image, uploadedSha256);
  assert.equal(upload?.detail.version, '4.1.0');
  assert.ok(!entries.some((e) => e.action === 'image.add' && e.target.image === image), 'an image added without an operator is not an operator action');
  assert.equal(find('run.cancel', 'operator:gina')?.target.run, staged.json.id);
  const order = ['campaign.create', 'campaign.approve', 'run.start', 'run.decide', 'run.cancel', 'token.create', 'token.revoke', 'image.add'].map((action) =>
    entries.findIndex((e) => e.action === action && e.actor !== 'manager'),
  );
  assert.deepEqual(
    order,
    [...order].sort((a, b) => a - b),
    `in the order they happened: ${order}`,
  );
  // The campaign's own runs were started by the campaign, not by an operator.
  assert.ok(!entries.some((e) => e.action === 'run.start' && e.actor === 'policy'));

  // A window that ends before the actions holds none of them.
  const before = await runCli(['audit', 'export', '--since', '2020-01-01T00:00:00Z', '--until', startedAt], { env });
  assert.equal(before.code, 0, before.stderr);
  assert.equal(before.stdout, '');
});

test('devices added, imported, refreshed, removed and discovered are exported with who did it; refused changes leave nothing', {
  timeout: 120_000,
}, async () => {
  const since = new Date().toISOString();
  // kim adds a device from the CLI (as --operator), and mallory's adds are refused: outside the allowed
  // networks, a name or an address the inventory already has.
  const added = await runCli(['device', 'add', '127.0.77.1', '--name', 'audited-1', '--operator', 'kim', '--json'], { env });
  assert.equal(added.code, 0, added.stderr);
  const addedId = (JSON.parse(added.stdout) as { id: number }).id;
  const outside = await runCli(['device', 'add', '192.0.2.9', '--name', 'outside', '--operator', 'mallory'], { env });
  assert.notEqual(outside.code, 0);
  assert.match(outside.stderr, /allow-networks/);
  for (const clash of [
    { address: '127.0.77.2', name: 'audited-1' },
    { address: '127.0.77.1', name: 'audited-again' },
  ]) {
    const refused = await world.api('POST', '/api/devices', { ...clash, operator: 'mallory' });
    assert.equal(refused.status, 409, JSON.stringify(refused.json));
  }

  // Imports and removals are the token holder's: lee imports two devices; mallory's import, of which
  // one row clashes, adds none and leaves no record.
  const tokenFor = async (name: string): Promise<string> => {
    const made = await runCli(['token', 'create', '--name', name, '--role', 'operator', '--json'], { env });
    assert.equal(made.code, 0, made.stderr);
    return (JSON.parse(made.stdout) as { token: string }).token;
  };
  const lee = await tokenFor('lee');
  const mallory = await tokenFor('mallory');
  const importAs = (token: string, csv: string) =>
    fetch(`${world.manager.url}/api/devices/import`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' }, body: csv });
  const imported = await importAs(lee, 'address,name\n127.0.77.11,imported-1\n127.0.77.12,imported-2\n');
  assert.equal(imported.status, 201, await imported.clone().text());
  const importedIds = ((await imported.json()) as { added: Array<{ id: number }> }).added.map((d) => d.id);
  const refusedImport = await importAs(mallory, 'address,name\n127.0.77.13,imported-3\n127.0.77.11,imported-4\n');
  assert.equal(refusedImport.status, 409, await refusedImport.text());

  // A device that has runs on record cannot be removed, and its refusal leaves no record either.
  const [busy] = (await world.api<RunRecord[]>('GET', '/api/runs?limit=1')).json;
  assert.ok(busy, 'the first test left runs on record');
  const refusedRemove = await fetch(`${world.manager.url}/api/devices/${busy.deviceId}`, { method: 'DELETE', headers: { authorization: `Bearer ${mallory}` } });
  assert.equal(refusedRemove.status, 409);

  // kim reads device 5 again; lee removes it (and audited-1) from the CLI; kim discovers it back.
  const fifth = world.names[4]!;
  const refreshed = await runCli(['device', 'refresh', fifth, '--operator', 'kim', '--json'], { env });
  assert.equal(refreshed.code, 0, refreshed.stderr);
  const [device] = JSON.parse(refreshed.stdout) as Array<{ id: number; address: string; port: number; runningVersion: string }>;
  for (const gone of [fifth, 'audited-1']) {
    const removed = await runCli(['device', 'remove', gone], { env: { ...env, SAFEFLASH_TOKEN: lee } });
    assert.equal(removed.code, 0, removed.stderr);
  }
  const cidr = `${device!.address}/32`;
  const discovered = await runCli(
    [
      'device',
      'discover',
      cidr,
      '--port',
      String(device!.port),
      '--v3-user',
      testUser.name,
      '--auth-key',
      testUser.authKey,
      '--priv-key',
      testUser.privKey,
      '--operator',
      'kim',
      '--json',
    ],
    { env },
  );
  assert.equal(discovered.code, 0, discovered.stderr);
  const found = (JSON.parse(discovered.stdout) as { found: Array<{ device: { id: number; name: string }; added: boolean }> }).found;
  assert.equal(found.length, 1);
  assert.equal(found[0]!.added, true);

  const exported = await runCli(['audit', 'export', '--since', since], { env });
  assert.equal(exported.code, 0, exported.stderr);
  const entries = exported.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Entry)
    .filter((e) => e.action.startsWith('device.'));
  assert.deepEqual(
    entries.map((e) => [e.action, e.actor, e.target.device, e.detail.name]),
    [
      ['device.add', 'operator:kim', addedId, 'audited-1'],
      ['device.import', 'operator:lee', importedIds[0], 'imported-1'],
      ['device.import', 'operator:lee', importedIds[1], 'imported-2'],
      ['device.refresh', 'operator:kim', device!.id, fifth],
      ['device.remove', 'operator:lee', device!.id, fifth],
      ['device.remove', 'operator:lee', addedId, 'audited-1'],
      ['device.discover', 'operator:kim', found[0]!.device.id, found[0]!.device.name],
    ],
    'every change, oldest first, and nothing of the refused ones',
  );
  const detail = (action: string, name: string) => entries.find((e) => e.action === action && e.detail.name === name)?.detail;
  assert.deepEqual(detail('device.add', 'audited-1'), { name: 'audited-1', address: '127.0.77.1', port: 16100, family: 'safeflash', tags: [] });
  assert.equal(detail('device.import', 'imported-2')?.imported, 2, 'an import says how many came together');
  assert.equal(detail('device.refresh', fifth)?.runningVersion, device!.runningVersion);
  assert.equal(detail('device.remove', 'audited-1')?.address, '127.0.77.1', 'a removed device is named as it was');
  assert.equal(detail('device.discover', found[0]!.device.name)?.cidr, cidr);
  const [importStart, importEnd] = entries.filter((e) => e.action === 'device.import');
  assert.equal(importStart?.at, importEnd?.at, "an import's devices are added at one time");

  // The API documents who is recorded.
  const openApi = (await (await fetch(`${world.manager.url}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } }>>;
  };
  for (const path of ['/api/devices', '/api/devices/discover', '/api/devices/{device}/refresh']) {
    assert.ok(openApi.paths[path]?.post?.requestBody?.content['application/json']?.schema.properties?.operator, `${path} takes an operator`);
  }
});

test('a viewer reads /api/audit; bad times are refused with a clear message', async () => {
  const made = await runCli(['token', 'create', '--name', 'reader', '--role', 'viewer', '--json'], { env });
  const viewer = JSON.parse(made.stdout) as { token: string };
  const read = await fetch(`${world.manager.url}/api/audit?since=${encodeURIComponent(startedAt)}`, { headers: { authorization: `Bearer ${viewer.token}` } });
  assert.equal(read.status, 200);
  const body = (await read.json()) as { entries: Entry[]; more: boolean };
  assert.equal(body.more, false);
  assert.ok(body.entries.some((e) => e.action === 'campaign.approve'));

  const openApi = (await (await fetch(`${world.manager.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { security?: unknown[] }>> };
  assert.ok(openApi.paths['/api/audit']?.get?.security?.length, 'documented, with the token it needs');

  const bad = await fetch(`${world.manager.url}/api/audit?since=yesterday`, { headers: { authorization: `Bearer ${viewer.token}` } });
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { error: string }).error, /since: expected an ISO 8601 time/);
  const reversed = await fetch(`${world.manager.url}/api/audit?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z`, {
    headers: { authorization: `Bearer ${viewer.token}` },
  });
  assert.equal(reversed.status, 400);

  for (const args of [['--since', 'yesterday'], ['--since', '24x'], ['--since', '1h', '--until', 'later'], []]) {
    const result = await runCli(['audit', 'export', ...args], { env });
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.equal(result.stdout, '');
  }
  const unknown = await runCli(['audit', 'export', '--since', 'yesterday'], { env });
  assert.match(unknown.stderr, /expected an ISO 8601 time with its zone .* or a duration back from now/);
  const reversedCli = await runCli(['audit', 'export', '--since', '1h', '--until', '2h'], { env });
  assert.equal(reversedCli.code, 2);
  assert.match(reversedCli.stderr, /--until .* must be after --since/);
});

test("a campaign's pause, resume and abort are exported as the operators' actions", { timeout: 120_000 }, async () => {
  const image = await world.image('4.3.0');
  const campaign = await createCampaign(world, {
    name: 'steered',
    image,
    devices: world.names.slice(0, 2),
    waves: '1,1',
    approval: true,
    policy: quickPolicy,
    operator: 'carol',
  });
  await world.waitForState(campaign.id, ['awaitingApproval']);
  for (const [action, operator] of [
    ['pause', 'hank'],
    ['resume', 'ivy'],
    ['abort', 'jack'],
  ] as const) {
    const answer = await world.api('POST', `/api/campaigns/${campaign.id}/${action}`, { operator });
    assert.equal(answer.status, 200, `${action}: ${JSON.stringify(answer.json)}`);
  }
  await world.waitForState(campaign.id, ['aborted']);
  const exported = await runCli(['audit', 'export', '--since', '10m'], { env });
  assert.equal(exported.code, 0, exported.stderr);
  const steering = exported.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Entry)
    .filter((e) => e.target.campaign === campaign.id)
    .map((e) => `${e.action} ${e.actor}`);
  assert.deepEqual(steering, [
    'campaign.create operator:carol',
    'campaign.pause operator:hank',
    'campaign.resume operator:ivy',
    'campaign.abort operator:jack',
  ]);
});
