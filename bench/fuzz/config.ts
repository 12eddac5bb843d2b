// The configuration parsers: the reference format (src/protocol/config, formats 1 and 2) and each vendor
// family's text (Cisco IOS, Huawei VRP). Generated valid configurations survive render → parse → render
// unchanged in every dialect; mutated texts either parse to a configuration that validates (and renders
// back to itself) or are refused with a ConfigError, never anything else thrown.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { renderIosConfig, parseIosConfig } from '../../src/families/cisco-ios/ios-config.ts';
import { parseVrpConfig, renderVrpConfig } from '../../src/families/huawei/vrp-config.ts';
import { iosConfiguration } from '../../src/families/cisco-ios/ios-config.ts';
import { vrpConfiguration } from '../../src/families/huawei/vrp-config.ts';
import { ConfigError, type DeviceConfig, factoryConfig, parseConfig, renderConfig, validateConfig } from '../../src/protocol/config.ts';
import { mutateText, textMutations } from './mutations.ts';
import { fuzzTarget } from './target.ts';

const changedAt = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));

interface Dialect {
  name: string;
  render(config: DeviceConfig): string;
  parse(text: string): DeviceConfig;
  /** The family's own reading of a text (problems, declared format): must never throw. */
  inspect?(text: string): void;
}

const dialects: readonly Dialect[] = [
  { name: 'reference', render: (c) => renderConfig(c).toString('utf8'), parse: (t) => parseConfig(t) },
  {
    name: 'cisco-ios',
    render: (c) => renderIosConfig(c, changedAt).toString('utf8'),
    parse: (t) => parseIosConfig(t),
    inspect: (t) => {
      iosConfiguration.problems(t);
      iosConfiguration.formatOf(t);
    },
  },
  {
    name: 'huawei',
    render: (c) => renderVrpConfig(c, changedAt).toString('utf8'),
    parse: (t) => parseVrpConfig(t),
    inspect: (t) => {
      vrpConfiguration.problems(t);
      vrpConfiguration.formatOf(t);
    },
  },
];

const unit = fc.record({
  model: fc.constantFrom('IAD-800', 'IAD-2400', 'IAD-4800', 'IAD-9000'),
  serial: fc.integer({ min: 0, max: 99_999 }).map((n) => `SFP${String(n).padStart(5, '0')}`),
  format: fc.constantFrom(1, 2),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
});

const input = fc.record({
  unit,
  dialect: fc.integer({ min: 0, max: dialects.length - 1 }),
  mutations: fc.option(textMutations, { nil: undefined, freq: 4 }),
});

function canonical(config: DeviceConfig): string {
  return renderConfig(config).toString('utf8');
}

type ConfigInput = typeof input extends fc.Arbitrary<infer V> ? V : never;

function check(value: ConfigInput): void {
  const dialect = dialects[value.dialect]!;
  const config = factoryConfig(value.unit);
  const text = dialect.render(config);
  if (value.mutations === undefined) {
    const parsed = dialect.parse(text);
    assert.equal(canonical(parsed), canonical(config), `${dialect.name}: a rendered configuration parses back to itself`);
    assert.equal(dialect.render(parsed), text, `${dialect.name}: and renders to the same text`);
    return;
  }
  const mutated = mutateText(text, value.mutations);
  dialect.inspect?.(mutated);
  let parsed: DeviceConfig;
  try {
    parsed = dialect.parse(mutated);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `${dialect.name}: refused with ${String(error)} rather than a ConfigError`);
    assert.ok(error.message.length > 0);
    return;
  }
  assert.deepEqual(validateConfig(parsed), [], `${dialect.name}: an accepted configuration validates`);
  assert.equal(canonical(parseConfig(canonical(parsed))), canonical(parsed), `${dialect.name}: an accepted configuration renders back to itself`);
}

export const configTarget = fuzzTarget({
  name: 'config',
  description: 'reference, IOS and VRP configuration texts: round trips of valid ones, mutations refused with ConfigError',
  defaultInputs: 200_000,
  open: async () => undefined,
  property: () => fc.property(input, check),
  close: async () => {},
});
