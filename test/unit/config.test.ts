import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ConfigError,
  configDigest,
  configFormats,
  factoryConfig,
  parseConfig,
  readConfigFormat,
  readConfigHeader,
  redactConfig,
  renderConfig,
  validateConfig,
  type ConfigFailure,
  type DeviceConfig,
  type DeviceConfigV1,
  type DeviceConfigV2,
} from '../../src/protocol/config.ts';

const serials = Array.from({ length: 30 }, (_, index) => `SF24A${String(index).padStart(5, '0')}`);

function v1(serial = 'SF24A00001'): DeviceConfigV1 {
  return factoryConfig({ model: 'IAD-2400', serial, format: 1 }) as DeviceConfigV1;
}
function v2(serial = 'SF24A00001'): DeviceConfigV2 {
  return factoryConfig({ model: 'IAD-2400', serial, format: 2 }) as DeviceConfigV2;
}
function text(config: DeviceConfig): string {
  return renderConfig(config).toString('utf8');
}

function parseFailure(input: string): ConfigError {
  try {
    parseConfig(input);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('configuration was accepted');
}

function expectRejected(input: string, reason: ConfigFailure, message: RegExp): void {
  const error = parseFailure(input);
  assert.equal(error.reason, reason, error.message);
  assert.match(error.message, message);
}

/** Replaces one whole line of a rendered configuration; fails when the line is not there. */
function replaceLine(input: string, line: string, replacement: string): string {
  const lines = input.split('\n');
  const index = lines.indexOf(line);
  assert.ok(index >= 0, `no line "${line}"`);
  lines.splice(index, 1, ...(replacement === '' ? [] : [replacement]));
  return lines.join('\n');
}

function lineOf(input: string, line: string, after = 0): number {
  return input.split('\n').indexOf(line, after) + 1;
}

test('factory configurations of both formats are valid and survive render and parse unchanged', () => {
  assert.deepEqual(configFormats, [1, 2]);
  for (const format of configFormats) {
    for (const [index, serial] of serials.entries()) {
      for (const model of ['IAD-800', 'IAD-2400', 'IAD-4800']) {
        const config = factoryConfig({ model, serial, format, seed: index % 3 });
        assert.deepEqual(validateConfig(config), [], `${model} ${serial} format ${format}`);
        const rendered = renderConfig(config);
        assert.deepEqual(parseConfig(rendered), config);
        assert.deepEqual(renderConfig(parseConfig(rendered)), rendered);
      }
    }
  }
});

test('factory configurations are the same for the same unit and differ between units', () => {
  assert.deepEqual(v2('SF1'), v2('SF1'));
  const hostnames = new Set(serials.map((serial) => v2(serial).system.hostname));
  const numbers = new Set(serials.map((serial) => v2(serial).fxs[0]!.number));
  const passwords = new Set(serials.map((serial) => v2(serial).sip_accounts[0]!.password));
  assert.equal(hostnames.size, serials.length);
  assert.ok(numbers.size > serials.length / 2);
  assert.equal(passwords.size, serials.length);
  assert.notDeepEqual(factoryConfig({ model: 'IAD-2400', serial: 'SF1', format: 2, seed: 1 }), v2('SF1'));
  assert.equal(v2().fxs.length, 4);
  assert.equal(factoryConfig({ model: 'IAD-4800', serial: 'SF1', format: 1 }).format, 1);
  assert.throws(() => factoryConfig({ model: 'IAD-2400', serial: 'SF1', format: 3 }), /no factory configuration for format 3/);
});

test('the two formats write the same unit differently', () => {
  const one = text(v1());
  const two = text(v2());
  assert.match(one, /^#!safeflash-config format=1 model=IAD-2400 serial=SF24A00001\n/);
  assert.match(two, /^#!safeflash-config format=2 model=IAD-2400 serial=SF24A00001\n/);
  assert.match(one, /\n\[port 1\]\n[^[]*sip_user = /);
  assert.match(one, /codecs \?= PCMA,PCMU,G729\n/);
  assert.match(two, /\n\[sip\.account 1\]\nuser = /);
  assert.match(two, /codecs \?= g711a:20 g711u:20 g729:20\n/);
  assert.match(two, /session_expires_s \?= 1800\n/);
  assert.doesNotMatch(two, /\[port /);
});

test('values at their factory default are marked and the marks round-trip', () => {
  const config = v2();
  assert.ok(config.defaulted.includes('sip.timer_t1_ms'));
  assert.ok(!config.defaulted.includes('sip.registrar'));
  assert.deepEqual([...config.defaulted].sort(), config.defaulted);
  const customised = text(config).replace('timer_t1_ms ?= 500', 'timer_t1_ms = 500');
  const parsed = parseConfig(customised);
  assert.ok(!parsed.defaulted.includes('sip.timer_t1_ms'));
  assert.equal((parsed as DeviceConfigV2).sip.timer_t1_ms, 500);
});

test('the digest is stable across render and parse and ignores comments and spacing', () => {
  const config = v2();
  const digest = configDigest(config);
  assert.match(digest, /^[0-9a-f]{64}$/);
  assert.equal(configDigest(renderConfig(config)), digest);
  assert.equal(configDigest(parseConfig(renderConfig(config))), digest);
  const decorated = text(config).replace('\n[sip]\n', '\n# provider settings\n\n[sip]\n').replace('registrar = ', 'registrar   =   ').replaceAll('\n', '\r\n');
  assert.equal(configDigest(Buffer.from(decorated)), digest);
});

test('the digest changes when a value changes', () => {
  const config = v2();
  const changed = structuredClone(config);
  changed.fxs[0]!.rx_gain_db = 2;
  changed.defaulted = changed.defaulted.filter((path) => path !== 'fxs 1.rx_gain_db');
  assert.notEqual(configDigest(changed), configDigest(config));
  const renamed = structuredClone(config);
  renamed.system.hostname = 'iad-other';
  assert.notEqual(configDigest(renamed), configDigest(config));
});

test('readConfigFormat reads the header alone', () => {
  assert.equal(readConfigFormat(renderConfig(v1())), 1);
  assert.equal(readConfigFormat('#!safeflash-config format=7 model=X serial=Y\n%%% not parsed %%%'), 7);
  assert.deepEqual(readConfigHeader(Buffer.from(text(v2()))), { format: 2, model: 'IAD-2400', serial: 'SF24A00001' });
  assert.throws(
    () => readConfigFormat('hostname = x\n'),
    (error: unknown) => error instanceof ConfigError && error.reason === 'noHeader',
  );
});

test('files without a header or of an unknown format are refused as such', () => {
  expectRejected('', 'noHeader', /line 1: not a Safeflash configuration/);
  expectRejected('[system]\nhostname = x\n', 'noHeader', /line 1/);
  expectRejected('#!safeflash-config model=IAD-2400 serial=S\n', 'noHeader', /format=N/);
  expectRejected('#!safeflash-config format=2 serial=S\n', 'noHeader', /model=M/);
  expectRejected(text(v2()).replace('format=2', 'format=9'), 'unknownFormat', /line 1: configuration format 9 is not one this build knows \(1, 2\)/);
});

test('syntax errors name their lines', () => {
  const good = text(v2());
  const broken = replaceLine(good, '[snmp]', 'snmp settings follow');
  expectRejected(broken, 'syntax', new RegExp(`line ${lineOf(good, '[snmp]')}: expected "\\[section\\]"`));
  expectRejected('#!safeflash-config format=1 model=M serial=S\nhostname = x\n', 'syntax', /line 2: "hostname" comes before any \[section\]/);
});

test('values that do not fit their key are rejected with the line', () => {
  const good = text(v2());
  const vlanLine = good.split('\n').find((line) => line.startsWith('vlan = '))!;
  const cases: Array<[string, string, RegExp]> = [
    [vlanLine, 'vlan = 5000', /\[management\] vlan: must be an integer from 1 to 4094, got "5000"/],
    ['[qos]', '[qos]\nqos_mode = strict', /\[qos\] qos_mode: no such key in this section/],
    ['local_port ?= 5060', 'local_port ?= 5060\nlocal_port = 5070', /\[sip\] local_port: set again \(first on line \d+\)/],
    ['[vlan voice]', '[vlan video]', /\[vlan video\]: the label must be one of voice, data/],
    ['[qos]', '[port 1]', /\[port 1\]: no such section in format 2/],
    ['dtmf_mode ?= rfc4733', 'dtmf_mode = rfc2833', /\[sip\] dtmf_mode: must be one of rfc4733, inband, sip-info, got "rfc2833"/],
    ['codecs ?= g711a:20 g711u:20 g729:20', 'codecs = g711a:20 g711a:30', /\[fxs 1\] codecs: must be 1 to 5 of codec:ptime.*each at most once/],
  ];
  for (const [line, replacement, message] of cases) {
    const broken = replaceLine(good, line, replacement);
    const error = parseFailure(broken);
    assert.equal(error.reason, 'invalid', error.message);
    assert.match(error.message, message);
    const at = lineOf(broken, replacement.split('\n').at(-1)!);
    assert.match(error.message, new RegExp(`line ${at}: `), `${error.message} should name line ${at}`);
  }
});

test('a password that fails its type is not echoed in the message', () => {
  const good = text(v2());
  const passwordLine = good.split('\n').find((line) => line.startsWith('password = '))!;
  const error = parseFailure(replaceLine(good, passwordLine, `password = ${'x'.repeat(80)}`));
  assert.match(error.message, /\[sip\.account 1\] password: must be text of 1 to 64 characters$/m);
  assert.doesNotMatch(error.message, /xxxx/);
});

test('missing required keys and broken cross-references are rejected with the section line', () => {
  const good = text(v2());
  const missing = replaceLine(good, good.split('\n').find((line) => line.startsWith('registrar = '))!, '');
  expectRejected(missing, 'invalid', new RegExp(`line ${lineOf(missing, '[sip]')}: \\[sip\\] registrar: missing \\(required\\)`));

  const orphan = replaceLine(good, 'account = 1', 'account = 9');
  expectRejected(orphan, 'invalid', new RegExp(`line ${lineOf(orphan, 'account = 9')}: \\[fxs 1\\] account: there is no \\[sip.account 9\\]`));

  const noSection = good.replace(/\n\[qos\]\n[^[]*$/, '\n');
  expectRejected(noSection, 'invalid', /^\[qos\]: missing section$/m);

  const one = text(v1());
  const userLine = one.split('\n').find((line) => line.startsWith('sip_user = '))!;
  const noUser = replaceLine(one, userLine, '');
  expectRejected(noUser, 'invalid', new RegExp(`line ${lineOf(noUser, '[port 1]')}: \\[port 1\\] sip_user: required on an enabled port`));
});

test('a value marked as default must be the default', () => {
  const good = text(v2());
  const broken = replaceLine(good, 'local_port ?= 5060', 'local_port ?= 5070');
  expectRejected(
    broken,
    'invalid',
    new RegExp(`line ${lineOf(broken, 'local_port ?= 5070')}: \\[sip\\] local_port: marked as default \\(\\?=\\) but the default is 5060`),
  );
  const noDefault = replaceLine(good, '[vlan voice]', '[vlan voice]\n').replace(/\nid = (\d+)\npriority = 5/, '\nid ?= $1\npriority = 5');
  expectRejected(noDefault, 'invalid', /\[vlan voice\] id: marked as default \(\?=\) but this key has no default/);
});

test('all problems of a file are reported together', () => {
  const good = text(v1());
  const broken = replaceLine(replaceLine(good, 'ssh ?= yes', 'ssh ?= maybe'), 'local_port ?= 5060', 'local_port ?= 0');
  const error = parseFailure(broken);
  assert.equal(error.problems.length, 2);
  assert.match(error.message, /2 problems:/);
});

test('validateConfig finds problems in configurations built in code', () => {
  const config = v2();
  assert.deepEqual(validateConfig(config), []);
  const wrong = structuredClone(config) as unknown as Record<string, Record<string, unknown>>;
  wrong.sip!.transport = 'sctp';
  wrong.management!.ssh = false;
  wrong.qos!.colour = 'blue';
  const problems = validateConfig(wrong as unknown as DeviceConfig);
  assert.ok(problems.includes('[sip] transport: must be one of udp, tcp, tls, got "sctp"'), problems.join('\n'));
  assert.ok(problems.includes('[qos] colour: unknown key'), problems.join('\n'));
  assert.ok(problems.includes('[management] ssh: marked as default (?=) but the default is yes'), problems.join('\n'));

  const pppoe = structuredClone(config);
  pppoe.wan = { mode: 'pppoe', mtu: 1500 };
  pppoe.defaulted = pppoe.defaulted.filter((path) => !path.startsWith('wan.'));
  assert.deepEqual(validateConfig(pppoe), [
    '[wan] pppoe_user: required when mode is pppoe',
    '[wan] pppoe_password: required when mode is pppoe',
    '[wan] mtu: PPPoE leaves at most 1492 bytes, not 1500',
  ]);

  const shared = structuredClone(config);
  shared.fxs[1] = { ...shared.fxs[1]!, enabled: true, number: '+4930999', account: shared.fxs[0]!.account! };
  assert.ok(validateConfig(shared).some((problem) => /\[fxs 2\] account: sip.account \d+ already belongs to fxs 1/.test(problem)));

  assert.deepEqual(validateConfig({ ...config, format: 5 } as unknown as DeviceConfig), ['configuration format 5 is not one this build knows (1, 2)']);
});

test('redactConfig hides every secret and nothing else', () => {
  const config = v1();
  const shown = redactConfig(config);
  assert.equal(shown.snmp.auth_password, '********');
  assert.equal(shown.users[0]!.password_hash, '********');
  assert.equal(shown.ports[0]!.sip_password, '********');
  assert.equal(shown.ports[0]!.sip_user, config.ports[0]!.sip_user);
  assert.notEqual(config.snmp.auth_password, '********');
});

test('any edit of a line either parses or fails with a ConfigError (property)', () => {
  const lines = text(v2()).split('\n');
  fc.assert(
    fc.property(fc.integer({ min: 0, max: lines.length - 1 }), fc.string({ maxLength: 40 }), (index, replacement) => {
      const edited = [...lines];
      edited[index] = replacement;
      try {
        const config = parseConfig(edited.join('\n'));
        assert.deepEqual(validateConfig(config), []);
        assert.deepEqual(parseConfig(renderConfig(config)), config);
      } catch (error) {
        assert.ok(error instanceof ConfigError, String(error));
      }
    }),
    { numRuns: 400 },
  );
});
