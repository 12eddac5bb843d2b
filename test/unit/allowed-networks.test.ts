// The networks the manager may talk to, without a manager: CIDR parsing for IPv4 and IPv6, membership,
// blocks for discovery, and the refusals of add, import and the SNMP driver, which name the setting to
// change. Nothing here sends a packet: addresses outside loopback are only ever compared.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AllowedNetworks, NetworkNotAllowedError, loopbackNetworks } from '../../src/manager/inventory/allowed-networks.ts';
import { CidrError, parseAddress, parseCidr, parseNetwork } from '../../src/manager/inventory/cidr.ts';
import { checkDeviceSpec } from '../../src/manager/inventory/device-spec.ts';
import { ImportError, parseImport } from '../../src/manager/inventory/import-file.ts';
import { DeviceDriver } from '../../src/manager/device-driver.ts';
import { addressOctets, octetsAddress } from '../../src/protocol/ip-address.ts';
import { engineIdForAddress } from '../../src/protocol/snmp/engine-id.ts';

test('networks: IPv4 and IPv6, canonical text, host bits and prefixes checked', () => {
  assert.equal(parseNetwork('192.0.2.0/24').cidr, '192.0.2.0/24');
  assert.equal(parseNetwork('2001:0DB8:0:0::/32').cidr, '2001:db8::/32');
  assert.equal(parseNetwork('::1').cidr, '::1/128');
  assert.equal(parseNetwork('10.1.2.3').cidr, '10.1.2.3/32');
  assert.equal(parseNetwork('0.0.0.0/0').prefix, 0);
  for (const [text, reason] of [
    ['192.0.2.1/24', /host bits set; did you mean 192\.0\.2\.0\/24/],
    ['2001:db8::1/64', /host bits set; did you mean 2001:db8::\/64/],
    ['192.0.2.0/33', /prefix length must be 0 to 32/],
    ['2001:db8::/129', /prefix length must be 0 to 128/],
    ['192.0.2.0/', /prefix length/],
    ['fe80::1%eth0/128', /not a network/],
    ['example.net/24', /not a network/],
    ['', /not a network/],
  ] as Array<[string, RegExp]>) {
    assert.throws(
      () => parseNetwork(text),
      (e: unknown) => e instanceof CidrError && reason.test(e.message),
      text,
    );
  }
});

test('addresses: octets both ways, RFC 5952 text, IPv4 tails', () => {
  for (const [text, canonical] of [
    ['127.0.0.1', '127.0.0.1'],
    ['::1', '::1'],
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['fe80::', 'fe80::'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ]) {
    const octets = addressOctets(text!);
    assert.ok(octets, text);
    assert.equal(octetsAddress(octets), canonical, text);
  }
  assert.equal(addressOctets('::1')!.length, 16);
  assert.equal(addressOctets('not-an-address'), undefined);
  assert.equal(octetsAddress(Buffer.alloc(5)), undefined);
  assert.deepEqual([...engineIdForAddress('::1').subarray(4)], [2, ...Array(15).fill(0), 1]);
  assert.deepEqual([...engineIdForAddress('127.0.0.1').subarray(4)], [1, 127, 0, 0, 1]);
});

test('allowed networks: loopback by default, membership per family, IPv4-mapped addresses judged as IPv4', () => {
  const loopback = AllowedNetworks.loopback;
  assert.deepEqual(
    loopback.networks.map((n) => n.cidr),
    [...loopbackNetworks],
  );
  for (const address of ['127.0.0.1', '127.255.1.2', '::1', '::ffff:127.0.0.9']) assert.ok(loopback.allows(address), address);
  for (const address of ['192.0.2.1', '10.0.0.1', '::2', '2001:db8::1', '::ffff:192.0.2.1', 'localhost', '']) assert.ok(!loopback.allows(address), address);

  const lab = AllowedNetworks.parse(' 192.0.2.0/24, 2001:db8:5::/48 ');
  assert.equal(lab.toString(), '192.0.2.0/24, 2001:db8:5::/48');
  assert.ok(lab.allows('192.0.2.200'));
  assert.ok(lab.allows('2001:db8:5:ffff::9'));
  assert.ok(!lab.allows('192.0.3.1'));
  assert.ok(!lab.allows('2001:db8:6::1'));
  assert.ok(!lab.allows('127.0.0.1'), 'loopback is allowed only when listed');
  assert.ok(lab.covers(parseNetwork('192.0.2.128/25')));
  assert.ok(!lab.covers(parseNetwork('192.0.2.0/23')), 'a block larger than the network');
  assert.ok(!lab.covers(parseNetwork('192.0.3.0/24')));
  assert.throws(() => AllowedNetworks.parse(' , '), CidrError);
  assert.throws(() => AllowedNetworks.parse('192.0.2.0/24,nonsense'), CidrError);

  assert.throws(
    () => loopback.check('192.0.2.1'),
    (e: unknown) => e instanceof NetworkNotAllowedError && /192\.0\.2\.1 is outside .*127\.0\.0\.0\/8, ::1\/128.*--allow-networks/.test(e.message),
  );
  assert.equal(parseAddress('::ffff:127.0.0.9')!.family, 6);
});

test('discovery blocks: IPv6 up to a /112, the subnet-router anycast address skipped', () => {
  assert.deepEqual(parseCidr('::1/128').hosts, ['::1']);
  assert.deepEqual(parseCidr('2001:db8::/126').hosts, ['2001:db8::1', '2001:db8::2', '2001:db8::3']);
  assert.deepEqual(parseCidr('2001:db8::/127').hosts, ['2001:db8::', '2001:db8::1']);
  assert.equal(parseCidr('2001:db8::/112').hosts.length, 65535);
  assert.equal(parseCidr('192.0.2.0/24').hosts.length, 254);
});

test('adding or importing an address outside the allowed networks is refused, naming --allow-networks', () => {
  const refused = checkDeviceSpec({ address: '192.0.2.1' });
  assert.ok(!refused.ok);
  assert.match(refused.problems.join('\n'), /192\.0\.2\.1 is outside the networks this manager may talk to.*--allow-networks/);

  const lab = AllowedNetworks.parse('192.0.2.0/24,2001:db8::/32');
  const allowed = checkDeviceSpec({ address: '192.0.2.1' }, lab);
  assert.ok(allowed.ok);
  const v6 = checkDeviceSpec({ address: '2001:DB8:0::7', port: 1161 }, lab);
  assert.ok(v6.ok);
  assert.equal(v6.device.address, '2001:db8::7', 'one spelling per address');
  assert.equal(v6.device.name, '[2001:db8::7]:1161');
  const loopback6 = checkDeviceSpec({ address: '::1' });
  assert.ok(loopback6.ok, 'IPv6 loopback is allowed by default');

  assert.equal(parseImport('address\n192.0.2.1\n2001:db8::9\n', 'csv', lab).length, 2);
  assert.throws(
    () => parseImport('address\n127.0.3.1\n192.0.2.1\n', 'csv'),
    (e: unknown) => e instanceof ImportError && e.problems.length === 1 && /^line 3: address 192\.0\.2\.1 is outside.*--allow-networks/.test(e.problems[0]!),
  );
});

test('the SNMP driver refuses an address outside the allowed networks before anything is sent', async () => {
  // A device row written by an older build, or by a manager allowed more networks: this one never sends to it.
  const driver = new DeviceDriver({ endpoint: { address: '192.0.2.1', port: 161 }, security: { version: 'v2c', community: 'public' } });
  try {
    for (const request of [
      () => driver.read(),
      () => driver.readOperation(1, 'reboot'),
      () => driver.system(),
      () => driver.startOperation(1, { type: 'reboot' }),
    ]) {
      await assert.rejects(request(), (e: unknown) => e instanceof NetworkNotAllowedError && /--allow-networks/.test(e.message));
    }
  } finally {
    driver.close();
  }
});
