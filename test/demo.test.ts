// `safeflash demo`, the README's main command, as an operator runs it: a real process on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = new URL('../bin/safeflash.js', import.meta.url).pathname;

test('the demo upgrades a fleet with injected faults and every device ends verified', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sf-demo-'));
  try {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const base = `127.5.${1 + Math.floor(Math.random() * 250)}.1`;
    const result = spawnSync(
      process.execPath,
      [cli, 'demo', '--devices', '5', '--data-dir', dataDir, '--snmp-port', String(port), '--base-address', base, '--reboot-ms', '200'],
      { encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /5 of 5 devices verified on 1\.1\.0/);
    const row = (n: number) => result.stdout.split('\n').find((line) => line.startsWith(`${base.replace(/\.1$/, '')}.${n} `)) ?? '';
    // device 2 failed a backup once, 4 got a corrupt image once, 5 fell back once: each retried.
    for (const n of [2, 4, 5]) assert.match(row(n), /verified\s+1\.0\.0\s+1\.1\.0\s+5\s+1\s/, row(n));
    assert.match(row(5), /verified\s+1\.0\.0\s+1\.1\.0\s+5\s+1\s+1\s/, row(5));
    assert.match(result.stdout, /upgrade failed \(downloadSoftware failed: .*image/i);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('the demo refuses a device address off loopback (exit 2)', () => {
  const result = spawnSync(process.execPath, [cli, 'demo', '--base-address', '10.0.0.1'], { encoding: 'utf8' });
  assert.equal(result.status, 2);
  assert.match(result.stderr, /loopback/);
});
