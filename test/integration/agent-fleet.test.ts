// The fleet: consecutive loopback addresses, one state directory and agent per device, a vendor key
// made once; and the command line refusing what it cannot run.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { Fleet } from '../../src/agent/fleet.ts';
import { loopbackAddresses } from '../../src/agent/loopback-addresses.ts';
import { ensureVendorSoftware, factoryImagePath } from '../../src/agent/vendor-key.ts';
import { oid } from '../../src/protocol/mib.ts';
import { SnmpSession } from '../../src/protocol/snmp/session.ts';
import { bufferValue } from '../../src/protocol/snmp/varbind.ts';
import { testUser, v3 } from '../helpers/snmp-device.ts';

const agentBin = fileURLToPath(new URL('../../bin/safeflash-agent.js', import.meta.url));

test('addresses are consecutive loopback addresses; anything else is refused', () => {
  assert.deepEqual(loopbackAddresses('127.0.1.254', 4), ['127.0.1.254', '127.0.1.255', '127.0.2.0', '127.0.2.1']);
  assert.throws(() => loopbackAddresses('10.0.0.1', 1), /loopback/);
  assert.throws(() => loopbackAddresses('localhost', 1), /loopback/);
  assert.throws(() => loopbackAddresses('127.255.255.250', 10), /past/);
});

test('the vendor key and factory image are made once and then reused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sf-vendor-'));
  try {
    const a = ensureVendorSoftware(dir, 'IAD-2400');
    const image = await readFile(factoryImagePath(dir, 'IAD-2400'));
    const b = ensureVendorSoftware(dir, 'IAD-2400');
    assert.ok(existsSync(join(dir, 'vendor.key')) && existsSync(join(dir, 'vendor.pub')));
    assert.ok(a.trustedKey.equals(b.trustedKey));
    assert.ok(b.factoryImage.equals(image));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a fleet runs each device on its own address, state directory and engine', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sf-fleet-'));
  const base = `127.5.${1 + Math.floor(Math.random() * 250)}.1`;
  const fleet = await Fleet.start({
    devices: 3,
    baseAddress: base,
    port: 0,
    stateDir: dir,
    model: 'IAD-2400',
    software: ensureVendorSoftware(dir, 'IAD-2400'),
    users: [testUser],
    communities: [],
    notifySecurity: v3,
    rebootMs: 100,
    rebootRequired: true,
    faults: () => ({}),
    startConcurrency: 2,
  });
  try {
    assert.deepEqual(
      fleet.members.map((m) => m.address),
      loopbackAddresses(base, 3),
    );
    const engines = new Set(fleet.members.map((m) => m.agent!.engineId.toString('hex')));
    assert.equal(engines.size, 3);
    for (const member of fleet.members) {
      assert.ok(existsSync(join(dir, member.address)), `state directory of ${member.address}`);
      const session = new SnmpSession({ peer: member.agent!.endpoint, security: v3, timeoutMs: 500 });
      try {
        const [serial] = await session.get([`${oid('sfDeviceSerial')}.0`]);
        assert.equal(bufferValue(serial!).toString(), member.serial);
      } finally {
        session.close();
      }
    }
  } finally {
    await fleet.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

function runAgent(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [agentBin, ...args], { timeout: 30_000 }, (error, _stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stderr });
    });
  });
}

test('safeflash-agent refuses bad usage with exit code 2', async () => {
  for (const args of [
    ['--base-address', '10.0.0.1'],
    ['--devices', '0'],
    ['--auth-key', 'short'],
    ['--notify', '192.0.2.1:162'],
    ['--trusted-key', 'only-one.pub'],
    ['--fault', 'no-such-fault'],
  ]) {
    const r = await runAgent(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /error/i, args.join(' '));
  }
});
