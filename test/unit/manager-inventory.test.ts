// The inventory's input checks, without a manager: address blocks discovery may scan, device specs,
// import files (CSV and YAML), and the --policy syntax of `safeflash upgrade`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CidrError, parseCidr } from '../../src/manager/inventory/cidr.ts';
import { checkDeviceSpec, defaultDevicePort } from '../../src/manager/inventory/device-spec.ts';
import { ImportError, importFormatOf, parseImport } from '../../src/manager/inventory/import-file.ts';
import { parsePolicy } from '../../src/interfaces/cli/policy-option.ts';

test('CIDR blocks: at most a /16 (IPv6: a /112), no host bits', () => {
  assert.deepEqual(parseCidr('127.0.1.0/30').hosts, ['127.0.1.1', '127.0.1.2']);
  assert.deepEqual(parseCidr('127.0.1.4/31').hosts, ['127.0.1.4', '127.0.1.5']);
  assert.deepEqual(parseCidr('127.0.1.9').hosts, ['127.0.1.9']);
  assert.equal(parseCidr('127.9.0.0/16').hosts.length, 65534);
  for (const [text, reason] of [
    ['127.0.0.0/8', /at most a \/16/],
    ['2001:db8::/64', /at most a \/112/],
    ['127.0.1.1/24', /host bits set; did you mean 127\.0\.1\.0\/24/],
    ['127.0.1.0/40', /prefix length/],
    ['127.0.1/24', /not a network/],
    ['', /not a network/],
  ] as Array<[string, RegExp]>) {
    assert.throws(
      () => parseCidr(text),
      (e: unknown) => e instanceof CidrError && reason.test(e.message),
      text,
    );
  }
});

test('device specs: defaults, credentials, and every problem at once', () => {
  const plain = checkDeviceSpec({ address: '127.0.3.4' });
  assert.ok(plain.ok);
  assert.equal(plain.device.name, '127.0.3.4');
  assert.equal(plain.device.port, defaultDevicePort);
  assert.equal(plain.device.security.version, 'v3');
  const named = checkDeviceSpec({ address: '127.0.3.4', port: '16200', community: 'c', tags: 'a;b a' });
  assert.ok(named.ok);
  assert.equal(named.device.name, '127.0.3.4:16200');
  assert.deepEqual(named.device.security, { version: 'v2c', community: 'c' });
  assert.deepEqual(named.device.tags, ['a', 'b']);
  const bad = checkDeviceSpec({ address: '10.0.0.1', port: 0, name: '-x', v3User: 'u', authKey: 'short', colour: 'red' } as never);
  assert.ok(!bad.ok);
  assert.equal(bad.problems.length, 6, bad.problems.join('\n'));
});

test('CSV import: header names as people write them, quoted cells, one problem per bad row', () => {
  const devices = parseImport('Address,Port,V3-User,Auth_Key,PrivKey,Tags\r\n127.0.3.1,16100,"ops",auth-key-123,"priv,key-456",x;y\r\n\r\n', 'csv');
  assert.equal(devices.length, 1);
  assert.deepEqual(devices[0]!.security, { version: 'v3', user: { name: 'ops', authKey: 'auth-key-123', privKey: 'priv,key-456' } });
  assert.throws(
    () => parseImport('address,name\n127.0.3.1,a\n127.0.3.2,a\n127.0.3.1,b\nfoo,c\n', 'csv'),
    (e: unknown) =>
      e instanceof ImportError &&
      e.problems.length === 3 &&
      /^line 3: name a is also used by line 2/.test(e.problems[0]!) &&
      /^line 4: 127\.0\.3\.1:16100 is also listed by line 2/.test(e.problems[1]!) &&
      /^line 5: address must be an IPv4 or IPv6 address/.test(e.problems[2]!),
  );
  assert.throws(() => parseImport('name\nx\n', 'csv'), /no "address" column/);
  assert.throws(() => parseImport('address\n"127.0.3.1\n', 'csv'), /not closed/);
  assert.throws(() => parseImport('address\n', 'csv'), /lists no devices/);
});

test('YAML import: a list or devices:, aliases refused, non-mappings named', () => {
  assert.equal(parseImport('- address: 127.0.3.1\n- {address: 127.0.3.2, port: 161}\n', 'yaml').length, 2);
  assert.equal(parseImport('devices:\n  - address: 127.0.3.1\n', 'yaml').length, 1);
  assert.throws(() => parseImport('- &a {address: 127.0.3.1}\n- *a\n', 'yaml'), ImportError);
  assert.throws(() => parseImport('- 42\n- address: 127.0.3.9\n', 'yaml'), /entry 1: must be a mapping/);
  assert.throws(() => parseImport('address: 127.0.3.1\n', 'yaml'), /must be a list of devices/);
  assert.equal(importFormatOf('fleet.YML'), 'yaml');
  assert.equal(importFormatOf('fleet.csv'), 'csv');
  assert.equal(importFormatOf('fleet.txt'), undefined);
});

test('--policy: every phase, or one phase', () => {
  const all = parsePolicy('retry=1,then=abort,backoff=0.5');
  assert.deepEqual(all.backup, { retries: 1, then: 'abort', backoffSeconds: 0.5 });
  assert.deepEqual(all.restore, all.backup);
  assert.deepEqual(parsePolicy('upgrade.retry=0,then=ask'), {
    preflight: { then: 'ask' },
    backup: { then: 'ask' },
    upgrade: { retries: 0, then: 'ask' },
    migrate: { then: 'ask' },
    restore: { then: 'ask' },
  });
  for (const bad of ['retry=two', 'retry=1.5', 'then=later', 'reboot.retry=1', 'colour=red', 'retry']) {
    assert.throws(() => parsePolicy(bad), Error, bad);
  }
});
