// The IOS router's configuration text: `show running-config` in IOS's dress around the device's
// configuration, read back to the very same configuration, whatever the lines that change by themselves say.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { iosConfiguration, parseIosConfig, renderIosConfig } from '../../src/families/cisco-ios/ios-config.ts';
import { compareTexts } from '../../src/families/configuration-text.ts';
import { ConfigError, configFormats, factoryConfig } from '../../src/protocol/config.ts';

const changedAt = new Date('2026-03-04T05:06:07Z');

for (const format of configFormats) {
  test(`a format ${format} factory configuration reads back from its IOS text unchanged`, () => {
    const config = factoryConfig({ model: 'ISR-4321', serial: `SN-${format}`, format });
    const text = renderIosConfig(config, changedAt);
    assert.deepEqual(parseIosConfig(text), config);
    assert.equal(iosConfiguration.formatOf(text.toString('utf8')), format);
  });
}

test('the text is laid out as show running-config: banner, byte count, last change, version, hostname, interface blocks, end', () => {
  const config = factoryConfig({ model: 'ISR-4321', serial: 'SN-9', format: 1 });
  const lines = renderIosConfig(config, changedAt).toString('utf8').split('\n');
  assert.deepEqual(lines.slice(0, 9), [
    'Building configuration...',
    '',
    lines[2],
    '!',
    '! Last configuration change at 05:06:07 UTC Wed Mar 04 2026',
    '!',
    'version 1.0',
    '! platform ISR-4321 serial SN-9',
    `hostname ${config.system.hostname}`,
  ]);
  // The count is of what follows the banner, as IOS counts it.
  const body = lines.slice(6).join('\n').replace(/\n$/, '');
  assert.equal(lines[2], `Current configuration : ${Buffer.byteLength(body)} bytes`);
  assert.deepEqual(lines.slice(-3), ['!', 'end', '']);
  for (const iface of ['interface GigabitEthernet0', 'interface GigabitEthernet0/0/0', 'interface GigabitEthernet0/0/1', 'interface Port0/1'])
    assert.ok(lines.includes(iface), iface);
  // The hostname is said once, at the top, not in its section's block.
  assert.equal(lines.filter((line) => line.includes('hostname')).length, 1);
  assert.ok(lines.filter((line) => line.startsWith('!')).length > 10, 'blocks are separated by !');
});

test('the lines that change by themselves are ignored: two showings at different times read and compare the same', () => {
  const config = factoryConfig({ model: 'ISR-4321', serial: 'SN-3', format: 2 });
  const first = renderIosConfig(config, changedAt);
  const later = Buffer.from(
    renderIosConfig(config, new Date('2027-01-01T00:00:00Z'))
      .toString('utf8')
      .replace(/^Current configuration : \d+ bytes$/m, 'Current configuration : 1 bytes'),
  );
  assert.notDeepEqual(first, later);
  assert.deepEqual(parseIosConfig(later), config);
  assert.equal(compareTexts(first.toString('utf8'), later.toString('utf8'), iosConfiguration).equal, true);
  // IOS writes CRLF on some terminals; the text means the same.
  assert.deepEqual(parseIosConfig(first.toString('utf8').replace(/\n/g, '\r\n')), config);
});

test('a text that is not a whole configuration of this router is refused with ConfigError', () => {
  const config = factoryConfig({ model: 'ISR-4321', serial: 'SN-4', format: 1 });
  const text = renderIosConfig(config, changedAt).toString('utf8');
  assert.throws(() => parseIosConfig('hostname r1\n!\nend\n'), ConfigError);
  assert.throws(() => parseIosConfig(text.replace('interface Port0/1', 'interface TenGigabitEthernet9/9')), ConfigError);
});
