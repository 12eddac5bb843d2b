// `safeflash upgrade`, `runs show`, `decide`, `backup` end to end: a real manager (`safeflash serve` in a
// child process) upgrading a real virtual fleet on loopback. The device's own answers over SNMP are
// the judge of every outcome.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Fleet } from '../../src/agent/fleet.ts';
import { ensureVendorSoftware, vendorKeyPrefix } from '../../src/agent/vendor-key.ts';
import { DeviceDriver } from '../../src/manager/device-driver.ts';
import { packImage } from '../../src/protocol/image.ts';
import { keyPairFiles, readPrivateKey } from '../../src/protocol/keys.ts';
import { runCli, startServe, type ServeProcess } from '../helpers/cli-process.ts';
import { testUser, v3 } from '../helpers/snmp-device.ts';

const model = 'IAD-2400';
const dir = mkdtempSync(join(tmpdir(), 'sf-upgrade-'));
chmodSync(dir, 0o755);
const third = 1 + Math.floor(Math.random() * 250);
const port = 20000 + Math.floor(Math.random() * 20000);
const address = (n: number) => `127.6.${third}.${n}`;
const name = (n: number) => `${address(n)}:${port}`;
const credentials = ['--v3-user', testUser.name, '--auth-key', testUser.authKey, '--priv-key', testUser.privKey];

let fleet: Fleet;
let serve: ServeProcess;
let env: Record<string, string>;
const cli = (...args: string[]) => runCli(args, { env, timeoutMs: 120_000 });

/** The summary table's row of a device: DEVICE RUN RESULT PHASE RETRIES REVERTS ... */
function summaryRow(stdout: string, device: string): { run: string; result: string; retries: number; reverts: number } | undefined {
  const cells = stdout
    .split('\n')
    .find((line) => line.startsWith(`${device} `))
    ?.trim()
    .split(/\s+/);
  return cells && { run: cells[1]!, result: cells[2]!, retries: Number(cells[4]), reverts: Number(cells[5]) };
}

function image(file: string, description: { model: string; version: string; configFormat: number }): string {
  const key = readPrivateKey(keyPairFiles(vendorKeyPrefix(join(dir, 'vendor'))).privateKeyFile);
  writeFileSync(join(dir, file), packImage(description, Buffer.from(`software ${description.version}`), key));
  return join(dir, file);
}

async function read(n: number) {
  const driver = new DeviceDriver({ endpoint: { address: address(n), port }, security: v3, sourceAddress: '127.0.0.1' });
  try {
    return await driver.read();
  } finally {
    driver.close();
  }
}

before(async () => {
  const software = ensureVendorSoftware(join(dir, 'vendor'), model);
  fleet = await Fleet.start({
    devices: 4,
    baseAddress: address(1),
    port,
    stateDir: join(dir, 'fleet'),
    model,
    software,
    users: [testUser],
    communities: [],
    notifySecurity: v3,
    rebootMs: 200,
    rebootRequired: true,
    // Device 2's new software never boots: it falls back to the old bank every time. Device 3 never
    // gets an image. Device 4 refuses its first configuration restore, after its new software booted.
    faults: (n) =>
      n === 2
        ? { failBoots: 100 }
        : n === 3
          ? { failDownloads: { count: 100, cause: 'serverUnreachable' } }
          : n === 4
            ? { failRestores: { count: 1, cause: 'configInvalid' } }
            : {},
  });
  serve = await startServe([
    '--data-dir',
    join(dir, 'manager'),
    '--http-port',
    '0',
    '--snmp-port',
    '0',
    '--tftp-port',
    '0',
    '--ftp-port',
    '0',
    '--snmp-user',
    `${testUser.name}:${testUser.authKey}:${testUser.privKey}`,
    '--trusted-key',
    keyPairFiles(vendorKeyPrefix(join(dir, 'vendor'))).publicKeyFile,
  ]);
  env = serve.env;
  const discovered = await cli('device', 'discover', `127.6.${third}.0/29`, '--port', String(port), '--timeout-ms', '300', ...credentials);
  assert.equal(discovered.code, 0, discovered.stderr);
  assert.match(discovered.stdout, /4 devices answered \(4 added/);
});

after(async () => {
  await serve?.stop('SIGTERM');
  await fleet?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('upgrade with an image file: exit 0, the device runs the new software with its configuration migrated', async () => {
  const before = await read(1);
  const result = await cli('upgrade', name(1), '--image', image('new.sfimg', { model, version: '1.1.0', configFormat: 2 }));
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /verify runEnded \[verified\]/);
  assert.match(result.stdout, /run-\d+\s+verified/);
  const after = await read(1);
  assert.equal(after.runningVersion, '1.1.0');
  assert.equal(after.configFormat, 2);
  assert.notEqual(after.activeBank, before.activeBank);

  const runs = JSON.parse((await cli('runs', 'list', '--device', name(1), '--json')).stdout);
  assert.equal(runs.length, 1);
  const shown = await cli('runs', 'show', runs[0].id);
  assert.equal(shown.code, 0);
  for (const phase of ['preflight', 'backup', 'upgrade', 'migrate', 'restore', 'verify']) assert.match(shown.stdout, new RegExp(`${phase}\\s+phaseSucceeded`));
  assert.match(shown.stdout, /config digest /);
  const detail = JSON.parse((await cli('runs', 'show', runs[0].id, '--json')).stdout);
  assert.equal(detail.run.outcome.configDigest, after.configDigest);
});

test('the same upgrade again: exit 0, up to date, and the device keeps both banks as they were', async () => {
  const before = await read(1);
  const again = await cli('upgrade', name(1), '--image', image('new.sfimg', { model, version: '1.1.0', configFormat: 2 }));
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /run-\d+\s+upToDate/);
  assert.match(again.stderr, /already up to date/);
  const after = await read(1);
  assert.equal(after.activeBank, before.activeBank);
  assert.equal(after.previousVersion, before.previousVersion);
  assert.deepEqual(after.banks, before.banks);
});

test('an image for another model is refused: nothing starts, exit 1', async () => {
  const result = await cli('upgrade', name(1), '--image', image('other.sfimg', { model: 'IAD-800', version: '2.0.0', configFormat: 1 }));
  assert.equal(result.code, 1);
  assert.match(result.stderr, /not started: .*IAD-800/);
  assert.equal((await read(1)).runningVersion, '1.1.0');
});

test('a run that asks is left waiting off a terminal; decide abort rolls the device back', async () => {
  const before = await read(2);
  const result = await cli(
    'upgrade',
    name(2),
    '--image',
    image('new.sfimg', { model, version: '1.1.0', configFormat: 2 }),
    '--policy',
    'upgrade.retry=0,then=ask',
  );
  assert.equal(result.code, 1, result.stdout + result.stderr);
  const runId = /safeflash decide (run-\d+) retry\|abort/.exec(result.stdout)?.[1];
  assert.ok(runId, result.stdout);
  // The device fell back to its old bank by itself: no revert was ordered.
  assert.deepEqual(summaryRow(result.stdout, name(2)), { run: runId, result: 'waiting', retries: 0, reverts: 0 }, result.stdout);
  assert.equal(JSON.parse((await cli('runs', 'show', runId, '--json')).stdout).run.state, 'waiting');

  const decided = await cli('decide', runId, 'abort', '--operator', 'alice');
  assert.equal(decided.code, 0, decided.stderr);
  assert.match(decided.stdout, /abort, recorded for operator:alice/);
  let detail: any;
  for (let i = 0; i < 300; i++) {
    detail = JSON.parse((await runCli(['runs', 'show', runId, '--json'], { env })).stdout);
    if (!['running', 'waiting'].includes(detail.run.state)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(['rolledBack', 'aborted'].includes(detail.run.state), detail.run.state);
  assert.deepEqual(detail.counts, { retries: 0, reverts: 0 }, 'nothing to revert after the fallback, nor in the rollback');
  assert.equal(detail.decisions[0].actor, 'operator:alice');
  const after = await read(2);
  assert.equal(after.runningVersion, before.runningVersion);
  assert.equal(after.configDigest, before.configDigest);
  const again = await cli('decide', runId, 'retry');
  assert.equal(again.code, 1, 'the run no longer waits');
  assert.match(again.stderr, /not waiting/);
});

test('backup on demand, then listed with its digest', async () => {
  const result = await cli('backup', name(1));
  assert.equal(result.code, 0, result.stderr);
  const sha = /verified: ([0-9a-f]{64})/.exec(result.stdout)?.[1];
  assert.ok(sha, result.stdout);
  const list = JSON.parse((await cli('backups', 'list', name(1), '--json')).stdout) as Array<{ sha256: string; configDigest: string }>;
  const listed = list.find((b) => b.sha256 === sha);
  assert.ok(listed);
  assert.equal(listed.configDigest, (await read(1)).configDigest);
});

test('REVERTS counts the reverts ordered: none after a failed download, one when a restore fails after the new software ran', async () => {
  const file = image('new.sfimg', { model, version: '1.1.0', configFormat: 2 });
  const before = { 3: await read(3), 4: await read(4) };
  const result = await cli('upgrade', name(3), name(4), '--image', file, '--policy', 'retry=0,then=abort');
  assert.equal(result.code, 1, result.stdout + result.stderr);

  // Device 3: the download failed, the timeline says there was nothing to revert, and none was ordered.
  const failedDownload = summaryRow(result.stdout, name(3));
  assert.ok(failedDownload, result.stdout);
  assert.equal(failedDownload.reverts, 0, result.stdout);
  const downloadDetail = JSON.parse((await cli('runs', 'show', failedDownload.run, '--json')).stdout);
  assert.ok(downloadDetail.timeline.some((e: { kind: string; cause: string }) => e.kind === 'revert' && e.cause === 'nothingToRevert'));
  assert.deepEqual(downloadDetail.counts, { retries: 0, reverts: 0 });

  // Device 4: its restore failed while the new software ran; the rollback ordered the revert.
  const failedRestore = summaryRow(result.stdout, name(4));
  assert.ok(failedRestore, result.stdout);
  const restoreDetail = JSON.parse((await cli('runs', 'show', failedRestore.run, '--json')).stdout);
  const ordered = restoreDetail.timeline.filter(
    (e: { kind: string; detail: { type?: string } }) => e.kind === 'operationStarted' && e.detail.type === 'revertSoftware',
  );
  assert.equal(ordered.length, 1, JSON.stringify(restoreDetail.timeline.map((e: { kind: string; message: string }) => `${e.kind}: ${e.message}`)));
  assert.equal(failedRestore.reverts, 1, result.stdout);
  assert.deepEqual(restoreDetail.counts, { retries: 0, reverts: 1 });
  assert.equal(restoreDetail.run.state, 'rolledBack', restoreDetail.run.outcome?.summary);

  for (const n of [3, 4] as const) {
    const after = await read(n);
    assert.equal(after.runningVersion, before[n].runningVersion, `device ${n}`);
    assert.equal(after.configDigest, before[n].configDigest, `device ${n}`);
  }
});

test('upgrade --stage stops once staged, exit 0; activate boots it; runs show has the checks, runs diff the configurations', async () => {
  const before = await read(1);
  const staged = await cli('upgrade', name(1), '--image', image('staged.sfimg', { model, version: '1.2.0', configFormat: 2 }), '--stage');
  assert.equal(staged.code, 0, staged.stdout + staged.stderr);
  assert.match(staged.stdout, /run-\d+\s+staged/);
  assert.match(staged.stderr, /1 device staged on 1\.2\.0; activate with: safeflash activate run-\d+/);
  const waiting = await read(1);
  assert.equal(waiting.runningVersion, before.runningVersion, 'staged: still the old software');
  assert.equal(waiting.nextBootBank, waiting.activeBank, 'the staged bank is not marked for boot');

  const activated = await cli('activate', name(1));
  assert.equal(activated.code, 0, activated.stdout + activated.stderr);
  assert.match(activated.stderr, /run run-\d+ activated by /);
  assert.match(activated.stdout, /run-\d+\s+verified/);
  assert.equal((await read(1)).runningVersion, '1.2.0');

  const runId = /run-\d+/.exec(activated.stderr)![0];
  const shown = await cli('runs', 'show', runId);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /checks:\n\s+CHECK\s+BEFORE CHANGES\s+BEFORE ACTIVATION\s+AFTER UPGRADE/);
  assert.match(shown.stdout, /ports\s+pass/);
  const diff = await cli('runs', 'diff', runId);
  assert.equal(diff.code, 0, diff.stderr);
  assert.match(diff.stdout, /read back\s+digest \w+ \(the restored\)/);
  assert.match(diff.stdout, /no differences/, 'format 2 already: the backup was restored as it was');

  // Nothing staged any more: refused, exit 1.
  const again = await cli('activate', name(1));
  assert.equal(again.code, 1);
  assert.match(again.stderr, /has no staged run/);
});
