// `safeflash demo`, the README's main command, as an operator runs it: one real process with a fleet,
// a manager and its own PostgreSQL, on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = new URL('../../bin/safeflash.js', import.meta.url).pathname;

test('the demo upgrades a mixed fleet with injected faults: every device verified, each configuration a family keeps migrated', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sf-demo-'));
  chmodSync(dataDir, 0o755); // as root, PostgreSQL runs as another user who must get in
  try {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const base = `127.5.${1 + Math.floor(Math.random() * 250)}.1`;
    const result = spawnSync(
      process.execPath,
      [cli, 'demo', '--devices', '9', '--data-dir', dataDir, '--snmp-port', String(port), '--base-address', base, '--reboot-ms', '200'],
      { encoding: 'utf8', timeout: 300_000 },
    );
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    // Nine devices: one in six each a VRP device, an IOS router, a DOCSIS modem, at the end.
    assert.match(result.stdout, /9 virtual devices \(6 safeflash, 1 huawei, 1 cisco-ios, 1 docsis\)/);
    assert.match(result.stdout, /9 of 9 devices verified on 2\.0\.0, each configuration a family keeps migrated to format 2/);
    const prefix = base.replace(/\.1$/, '');
    const row = (n: number) => (result.stdout.split('\n').find((line) => line.startsWith(`${prefix}.${n} `)) ?? '').split(/\s{2,}/);
    for (let n = 1; n <= 6; n++) {
      const [, family, outcome, phases, , , migration, , agrees] = row(n);
      assert.equal(family, 'safeflash');
      assert.equal(outcome, 'verified', row(n).join(' | '));
      assert.equal(phases, 'preflight backup upgrade migrate restore verify');
      assert.equal(migration, 'format 1 to 2');
      assert.equal(agrees, 'yes');
    }
    // The VRP device and the router: their own texts backed up, converted to format 2 by their family, restored; a download failed once.
    for (const [n, family] of [
      [7, 'huawei'],
      [8, 'cisco-ios'],
    ] as const) {
      assert.deepEqual(row(n).slice(1, 7), [family, 'verified', 'preflight backup upgrade migrate restore verify', '1', '0', 'format 1 to 2']);
    }
    // The modem: no backup, migrate or restore (its configuration comes from provisioning); its download failed once.
    const modem = row(9);
    assert.deepEqual([modem[1], modem[2], modem[3], modem[4], modem[7]], ['docsis', 'verified', 'preflight upgrade verify', '1', 'yes']);
    // Devices 2, 3, 4 and 6 each met one injected failure and needed one retry; 1 and 5 none.
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => row(n)[4]),
      ['0', '1', '1', '1', '0', '1'],
    );
    assert.match(result.stdout, new RegExp(`${prefix}\\.5 .*no notification of operation \\d+'s end: read from its row`));
    assert.doesNotMatch(result.stderr, /DeprecationWarning/);
    // A campaign in waves: 10% (1 device), 50% (5 in all), 100% (9); the seven that met a fault count as recovered.
    assert.match(result.stdout, /wave 1: 1 devices[\s\S]*wave 2: 4 devices[\s\S]*wave 3: 4 devices/);
    assert.match(result.stdout, /campaign completed: 2 verified, 7 recovered/);
    // Wave 2 holds devices 2, 3 and 4, all of which met a fault: past the 60% threshold, so it paused.
    assert.match(result.stdout, /the campaign paused \(threshold\)/);
    assert.match(result.stdout, /watch it live: http:\/\/127\.0\.0\.1:\d+\//);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('the demo refuses a device address off loopback (exit 2)', () => {
  const result = spawnSync(process.execPath, [cli, 'demo', '--base-address', '10.0.0.1'], { encoding: 'utf8' });
  assert.equal(result.status, 2);
  assert.match(result.stderr, /loopback/);
});
