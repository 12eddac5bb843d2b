import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  configDigest,
  formatV1,
  formatV2,
  parseConfig,
  renderConfig,
  validateConfig,
  type DeviceConfig,
  type DeviceConfigV1,
  type DeviceConfigV2,
} from '../../src/protocol/config.ts';
import { format1To2 } from '../../src/protocol/config/migrations/format1-to-2.ts';
import { format2To1 } from '../../src/protocol/config/migrations/format2-to-1.ts';
import {
  MigrationError,
  migrateConfig,
  migrateConfigFile,
  migrationPath,
  type ModelSeries,
  type MigrationFailure,
} from '../../src/protocol/config/migrations/registry.ts';
import { deepFreeze, factoryV1, factoryV2, units } from '../fixtures/migrations/fleet.ts';

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/migrations/${name}`, import.meta.url));

function v2Of(config: DeviceConfig): DeviceConfigV2 {
  assert.equal(config.format, 2);
  return config as DeviceConfigV2;
}
function v1Of(config: DeviceConfig): DeviceConfigV1 {
  assert.equal(config.format, 1);
  return config as DeviceConfigV1;
}

function migrationFailure(run: () => unknown, reason: MigrationFailure): MigrationError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof MigrationError, `expected MigrationError, got ${String(error)}`);
    assert.equal(error.reason, reason, error.message);
    return error;
  }
  assert.fail('the migration was accepted');
}

/** A valid v2 configuration with one change made by the customer; the change is unmarked as default. */
function customerV2(change: (config: DeviceConfigV2) => string[]): DeviceConfigV2 {
  const config = structuredClone(factoryV2({ model: 'IAD-2400', serial: 'SF24Q0001', seed: 0 }));
  const touched = new Set(change(config));
  config.defaulted = config.defaulted.filter((path) => !touched.has(path));
  assert.deepEqual(validateConfig(config), [], 'the test configuration itself must be valid');
  return config;
}

test('the formats share the sections the migration copies verbatim, and each renamed default means the same', () => {
  for (const field of ['system', 'management', 'snmp', 'ntp', 'customer', 'users', 'vlans', 'wan', 'lan', 'qos'] as const) {
    assert.equal(formatV1.sections[field], formatV2.sections[field], field);
  }
  const sip1 = formatV1.sections.sip.keys;
  const sip2 = formatV2.sections.sip.keys;
  assert.equal(sip1.transport.default, sip2.transport.default);
  assert.equal(sip1.local_port.default, sip2.local_port.default);
  assert.equal(sip1.register_expires.default, sip2.register_expires.default);
  assert.equal(sip1.t1_ms.default, sip2.timer_t1_ms.default);
  assert.equal(sip1.t2_ms.default, sip2.timer_t2_ms.default);
  assert.equal(sip1.rtp_port_min.default, sip2.rtp_port_min.default);
  assert.equal(sip1.rtp_port_max.default, sip2.rtp_port_max.default);
  // rfc2833 and rfc4733 are the same telephone-event payload; RFC 4733 obsoletes 2833.
  assert.equal(sip1.dtmf.default, 'rfc2833');
  assert.equal(sip2.dtmf_mode.default, 'rfc4733');
  assert.equal(sip2.session_expires_s.default, 1800);
  const port = formatV1.sections.ports.keys;
  const fxs = formatV2.sections.fxs.keys;
  assert.deepEqual(port.codecs?.default, ['PCMA', 'PCMU', 'G729']);
  assert.deepEqual(fxs.codecs?.default, [
    { codec: 'g711a', ptime_ms: 20 },
    { codec: 'g711u', ptime_ms: 20 },
    { codec: 'g729', ptime_ms: 20 },
  ]);
  assert.equal(port.enabled?.default, fxs.enabled?.default);
  assert.equal(port.echo_cancel?.default, fxs.echo_canceller?.default);
  assert.equal(port.gain_tx?.default, fxs.tx_gain_db?.default);
  assert.equal(port.gain_rx?.default, fxs.rx_gain_db?.default);
});

test('factory configurations: 1 -> 2 validates, equals the format 2 factory configuration, and 2 -> 1 gives back the same digest', () => {
  let compared = 0;
  for (const unit of units(160)) {
    const original = factoryV1(unit);
    const forward = migrateConfig(original, unit.model, 2);
    assert.deepEqual(forward.steps, ['IAD format 1 -> 2']);
    const migrated = v2Of(forward.config);
    assert.deepEqual(validateConfig(migrated), [], `${unit.model} ${unit.serial}`);
    // The factory draws the same unit for both formats; only a customer-set session timer (format 2 only) differs.
    const factory = factoryV2(unit);
    if (factory.defaulted.includes('sip.session_expires_s')) {
      assert.deepEqual(migrated, factory, `${unit.model} ${unit.serial}`);
      compared++;
    }
    const back = migrateConfig(migrated, unit.model, 1);
    assert.deepEqual(back.steps, ['IAD format 2 -> 1']);
    assert.equal(configDigest(back.config), configDigest(original), `${unit.model} ${unit.serial}`);
    assert.deepEqual(back.config, original);
  }
  assert.ok(compared > 80, `compared with the factory only ${compared} times`);
});

test('factory configurations of format 2: 2 -> 1 refuses exactly when the customer set the session timer, else round-trips', () => {
  const seen = { refused: 0, converted: 0 };
  for (const unit of units(120)) {
    const original = factoryV2(unit);
    if (!original.defaulted.includes('sip.session_expires_s')) {
      const error = migrationFailure(() => migrateConfig(original, unit.model, 1), 'unrepresentable');
      assert.deepEqual(error.problems, [
        `[sip] session_expires_s: set to ${original.sip.session_expires_s} s; format 1 (software 3.x) has no SIP session timer`,
      ]);
      seen.refused++;
      continue;
    }
    const back = v1Of(migrateConfig(original, unit.model, 1).config);
    assert.deepEqual(validateConfig(back), []);
    assert.deepEqual(back, factoryV1(unit));
    const again = migrateConfig(back, unit.model, 2).config;
    assert.equal(configDigest(again), configDigest(original));
    seen.converted++;
  }
  assert.ok(seen.refused > 5 && seen.converted > 60, JSON.stringify(seen));
});

test('a customer unit (PPPoE, non-default codecs, SIP INFO DTMF, a disabled port, three users) converts to the hand-written format 2 file', () => {
  const source = fixture('iad-2400-customer.v1.conf');
  const before = Buffer.from(source);
  const expected = fixture('iad-2400-customer.v2.conf');
  const result = migrateConfigFile(source, 'IAD-2400', 2);
  assert.equal(result.text.toString('utf8'), expected.toString('utf8'));
  assert.deepEqual(result.steps, ['IAD format 1 -> 2']);
  assert.equal(result.fromFormat, 1);
  assert.equal(result.toFormat, 2);
  assert.equal(result.sourceDigest, configDigest(source));
  assert.equal(result.digest, configDigest(expected));
  assert.deepEqual(source, before, 'the backup bytes are not touched');

  const back = migrateConfigFile(expected, 'IAD-2400', 1);
  assert.equal(back.text.toString('utf8'), source.toString('utf8'), 'the way back gives the original file');
});

test('a static-WAN unit written in any order with comments converts to the hand-written format 2 file and back to the same digest', () => {
  const source = fixture('iad-800-static.v1.conf');
  const result = migrateConfigFile(source, 'IAD-800', 2);
  assert.equal(result.text.toString('utf8'), fixture('iad-800-static.v2.conf').toString('utf8'));
  const back = migrateConfigFile(result.text, 'IAD-800', 1);
  assert.equal(back.digest, configDigest(source));
  assert.deepEqual(parseConfig(back.text), parseConfig(source));
});

test('a file already in the target format comes back byte for byte, comments included, in a new buffer', () => {
  const source = fixture('iad-800-static.v1.conf');
  const result = migrateConfigFile(source, 'IAD-800', 1);
  assert.deepEqual(result.steps, []);
  assert.deepEqual(result.text, source);
  assert.notEqual(result.text, source);
  assert.equal(result.digest, result.sourceDigest);
});

test('2 -> 1 refuses a session timer set by the customer, naming the key and the value', () => {
  const config = customerV2((c) => {
    c.sip.session_expires_s = 600;
    return ['sip.session_expires_s'];
  });
  const error = migrationFailure(() => migrateConfig(config, 'IAD-2400', 1), 'unrepresentable');
  assert.deepEqual(error.problems, ['[sip] session_expires_s: set to 600 s; format 1 (software 3.x) has no SIP session timer']);
  assert.match(error.message, /^the target format cannot hold every customer value: \[sip\] session_expires_s: set to 600 s/);
  // Set by the customer even to the factory value: the customer chose a session timer format 1 cannot run.
  const explicit = customerV2(() => ['sip.session_expires_s']);
  migrationFailure(() => migrateConfig(explicit, 'IAD-2400', 1), 'unrepresentable');
});

test('2 -> 1 lists every value format 1 cannot hold at once: auth_user, an account no port uses, a 30 ms codec', () => {
  const config = customerV2((c) => {
    c.sip_accounts[0]!.auth_user = 'auth-0001';
    c.sip_accounts.push({ account: 30, user: 'spare', password: 'spare-secret' });
    const port = c.fxs[0]!;
    port.codecs = [
      { codec: 'g711a', ptime_ms: 30 },
      { codec: 'g729', ptime_ms: 20 },
    ];
    return [`fxs ${port.port}.codecs`];
  });
  const error = migrationFailure(() => migrateConfig(config, 'IAD-2400', 1), 'unrepresentable');
  const first = config.sip_accounts[0]!;
  assert.deepEqual(error.problems, [
    `[sip.account ${first.account}] auth_user: format 1 has no separate authentication name (it authenticates as user ${first.user})`,
    '[sip.account 30]: no [fxs N] uses this account; format 1 keeps SIP accounts only inside a port',
    `[fxs ${config.fxs[0]!.port}] codecs: g711a:30; format 1 always packetizes at 20 ms`,
  ]);
});

test('2 -> 1 keeps which account a port uses even when the numbers differ; going forward again numbers accounts like ports', () => {
  const config = customerV2((c) => {
    const account = c.sip_accounts[0]!;
    const port = c.fxs.find((fxs) => fxs.account === account.account)!;
    account.account = 17;
    port.account = 17;
    return [];
  });
  const back = v1Of(migrateConfig(config, 'IAD-2400', 1).config);
  const account = config.sip_accounts.find((entry) => entry.account === 17)!;
  const port = back.ports.find((entry) => entry.sip_user === account.user)!;
  assert.equal(port.port, config.fxs.find((fxs) => fxs.account === 17)!.port);
  assert.equal(port.sip_password, account.password);
  const again = v2Of(migrateConfig(back, 'IAD-2400', 2).config);
  assert.equal(again.fxs.find((fxs) => fxs.port === port.port)!.account, port.port);
});

test('1 -> 2 refuses a disabled port holding half a SIP account rather than dropping it', () => {
  const config = structuredClone(factoryV1({ model: 'IAD-2400', serial: 'SF24Q0002', seed: 1 }));
  const port = config.ports.at(-1)!;
  port.enabled = false;
  port.sip_user = 'halfway';
  delete port.sip_password;
  delete port.sip_display_name;
  config.defaulted = config.defaulted.filter((path) => path !== `port ${port.port}.enabled`);
  assert.deepEqual(validateConfig(config), []);
  const error = migrationFailure(() => migrateConfig(config, 'IAD-2400', 2), 'unrepresentable');
  assert.deepEqual(error.problems, [
    `[port ${port.port}] sip_user: part of a SIP account without sip_password; format 2 keeps only whole accounts (user and password)`,
  ]);
});

test('no path: a model outside every series, a format nobody has, an invalid format number, a series with a missing step', () => {
  const config = factoryV1({ model: 'ATA-100', serial: 'SF00X0001', seed: 0 });
  const unknownModel = migrationFailure(() => migrateConfig(config, 'ATA-100', 2), 'noPath');
  assert.match(unknownModel.message, /model ATA-100 belongs to no model series with migrations \(known: IAD/);
  const iad = factoryV1({ model: 'IAD-2400', serial: 'SF24Q0003', seed: 0 });
  assert.match(migrationFailure(() => migrateConfig(iad, 'IAD-2400', 3), 'noPath').message, /IAD has no step from format 2 to 3 \(on the way from 1 to 3\)/);
  assert.match(migrationFailure(() => migrationPath('IAD-2400', 1, 0), 'noPath').message, /to format must be a positive integer, got 0/);
  assert.match(migrationFailure(() => migrationPath('IAD-2400', 1.5, 2), 'noPath').message, /from format must be a positive integer/);
  const upOnly: ModelSeries[] = [{ name: 'UP', models: /^IAD-/, steps: [{ from: 1, to: 2, name: 'up', convert: (c) => format1To2(v1Of(c)) }] }];
  const v2 = v2Of(migrateConfig(iad, 'IAD-2400', 2, upOnly).config);
  assert.match(migrationFailure(() => migrateConfig(v2, 'IAD-2400', 1, upOnly), 'noPath').message, /UP has no step from format 2 to 1/);
});

test('migration paths chain one format at a time in either direction', () => {
  const stepAt = (from: number, to: number) => ({ from, to, name: `${from}->${to}`, convert: (c: DeviceConfig) => c });
  const series: ModelSeries = { name: 'T', models: /^T-/, steps: [stepAt(2, 3), stepAt(1, 2), stepAt(3, 2), stepAt(3, 4), stepAt(2, 1), stepAt(4, 3)] };
  const names = (from: number, to: number) => migrationPath('T-1', from, to, [series]).map((step) => step.name);
  assert.deepEqual(names(1, 4), ['1->2', '2->3', '3->4']);
  assert.deepEqual(names(4, 1), ['4->3', '3->2', '2->1']);
  assert.deepEqual(names(3, 3), []);
  assert.deepEqual(
    migrationPath('IAD-800', 1, 2).map((step) => step.name),
    ['IAD format 1 -> 2'],
  );
});

test('a step whose result does not validate is refused with the step named', () => {
  const broken: ModelSeries[] = [
    {
      name: 'BROKEN',
      models: /^IAD-/,
      steps: [{ from: 1, to: 2, name: 'drops users', convert: (c) => ({ ...format1To2(v1Of(c)), users: [] }) }],
    },
  ];
  const config = factoryV1({ model: 'IAD-800', serial: 'SF08Q0001', seed: 0 });
  const error = migrationFailure(() => migrateConfig(config, 'IAD-800', 2, broken), 'invalidResult');
  assert.ok(
    error.problems.some((problem) => problem.startsWith('drops users: [user]')),
    error.message,
  );
});

test('an invalid input, a configuration of another model and an unreadable file are refused before any step', () => {
  const config = structuredClone(factoryV1({ model: 'IAD-2400', serial: 'SF24Q0004', seed: 0 }));
  config.sip.t1_ms = 4000;
  config.defaulted = config.defaulted.filter((path) => path !== 'sip.t1_ms');
  assert.match(migrationFailure(() => migrateConfig(config, 'IAD-2400', 2), 'invalidInput').message, /format 1: \[sip\] t2_ms: must be longer than t1_ms/);
  const other = factoryV1({ model: 'IAD-800', serial: 'SF08Q0002', seed: 0 });
  assert.match(migrationFailure(() => migrateConfig(other, 'IAD-2400', 2), 'invalidInput').message, /for model IAD-800, the device is IAD-2400/);
  const text = Buffer.from(fixture('iad-2400-customer.v1.conf').toString('utf8').replace('dtmf = info', 'dtmf = sms'));
  assert.match(
    migrationFailure(() => migrateConfigFile(text, 'IAD-2400', 2), 'invalidInput').message,
    /line \d+: \[sip\] dtmf: must be one of rfc2833, inband, info/,
  );
  assert.match(migrationFailure(() => migrateConfigFile(Buffer.from('hello\n'), 'IAD-2400', 2), 'invalidInput').message, /not a Safeflash configuration/);
});

test('inputs are never changed and results share no object with them', () => {
  for (const unit of units(12)) {
    const v1 = deepFreeze(factoryV1(unit));
    const v2 = deepFreeze(v2Of(migrateConfig(v1, unit.model, 2).config));
    const v1Again = migrateConfig(v2, unit.model, 1).config;
    const same = migrateConfig(v1, unit.model, 1).config;
    assert.notEqual(same, v1);
    assert.deepEqual(same, v1);
    // Changing every result must leave the frozen inputs readable and equal to fresh copies.
    for (const result of [v1Again, same] as DeviceConfigV1[]) {
      result.users[0]!.role = 'viewer';
      result.ports[0]!.codecs.reverse();
      result.ntp.servers.push('ntp.example.org');
      result.defaulted.push('x.y');
    }
    assert.deepEqual(v1, factoryV1(unit));
    assert.equal(configDigest(v2), configDigest(migrateConfig(factoryV1(unit), unit.model, 2).config));
  }
  const factory = units(40)
    .map(factoryV2)
    .find((config) => config.defaulted.includes('sip.session_expires_s'))!;
  const frozen = deepFreeze(structuredClone(factory));
  assert.deepEqual(migrateConfig(frozen, frozen.model, 1).config, format2To1(factory));
  assert.deepEqual(frozen, factory);
});

test('each step on its own is the same pure function the registry runs', () => {
  const unit = { model: 'IAD-4800', serial: 'SF48Q0001', seed: 3 };
  const v1 = deepFreeze(factoryV1(unit));
  assert.deepEqual(format1To2(v1), migrateConfig(v1, unit.model, 2).config);
  assert.deepEqual(format2To1(format1To2(v1)), v1);
  assert.equal(renderConfig(format2To1(format1To2(v1))).toString('utf8'), renderConfig(v1).toString('utf8'));
  // A step's result shares nothing with its (frozen) input: writing to every part of it must not throw.
  const v2 = deepFreeze(format1To2(v1));
  for (const result of [structuredClone(v2), format1To2(v1), format2To1(v2)] as DeviceConfig[]) writeEverywhere(result);
});

/** Writes to every object and array reachable from the value; throws on a frozen one. */
function writeEverywhere(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    value.push(undefined);
    value.pop();
  } else {
    (value as Record<string, unknown>).written = true;
    delete (value as Record<string, unknown>).written;
  }
  for (const inner of Object.values(value)) writeEverywhere(inner);
}
