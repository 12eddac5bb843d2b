// The files operators hand the CLI and the API: campaign files (YAML or JSON, read by `campaign create
// --file` and checked as the API checks a POST /api/campaigns body) and inventory import files (CSV or
// YAML, `device import` and POST /api/devices/import). Generated valid files are accepted whole;
// mutated and random ones are refused with the parsers' own errors (UsageFailure, CampaignRequestError,
// ImportError), never anything else thrown, and an accepted import only holds allowed addresses.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { readCampaignFile } from '../../src/interfaces/cli/campaign-commands.ts';
import { UsageFailure } from '../../src/interfaces/cli/program.ts';
import { CampaignRequestError, checkCampaignRequest } from '../../src/manager/campaigns/settings.ts';
import { AllowedNetworks } from '../../src/manager/inventory/allowed-networks.ts';
import { ImportError, parseImport } from '../../src/manager/inventory/import-file.ts';
import { mutateText, textMutations } from './mutations.ts';
import { fuzzTarget } from './target.ts';

const word = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-'), minLength: 1, maxLength: 20 }).map((s) => `c${s}`);

const campaign = fc.record(
  {
    name: word,
    image: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }),
    waves: fc.constantFrom('100%', '1%,10%,100%', '5,20', [5, 20], ['10%', '100%']),
    maxConcurrent: fc.integer({ min: 1, max: 1000 }),
    threshold: fc.constantFrom('5%', 2, '1', 10),
    approval: fc.boolean(),
    transport: fc.constantFrom('tftp', 'ftp'),
    reinstall: fc.boolean(),
    stage: fc.boolean(),
    offlineAttempts: fc.integer({ min: 1, max: 10 }),
    tags: fc.array(word, { minLength: 1, maxLength: 3 }),
    timeLimits: fc.record({ download: fc.integer({ min: 10, max: 3600 }) }, { requiredKeys: [] }),
  },
  { requiredKeys: ['name', 'image', 'waves', 'tags'] },
);

const addressRow = fc
  .uniqueArray(fc.integer({ min: 1, max: 65_000 }), { minLength: 1, maxLength: 12 })
  .map((ns) => ns.map((n, i) => ({ address: `127.3.${n >> 8}.${n & 0xff || 1}`, port: 16100 + (i % 3), name: `dev-${n}`, tags: i % 2 ? 'lab;edge' : 'lab' })));

const input = fc.record({
  kind: fc.constantFrom('campaign-yaml', 'campaign-json', 'inventory-csv', 'inventory-yaml'),
  campaign,
  devices: addressRow,
  mutations: fc.option(textMutations, { nil: undefined, freq: 3 }),
  random: fc.option(fc.string({ unit: 'binary', maxLength: 200 }), { nil: undefined, freq: 8 }),
});
type Input = typeof input extends fc.Arbitrary<infer V> ? V : never;

function text(value: Input): string {
  switch (value.kind) {
    case 'campaign-yaml':
      return toYaml(value.campaign);
    case 'campaign-json':
      return JSON.stringify(value.campaign, null, 2);
    case 'inventory-csv':
      return ['address,port,name,tags', ...value.devices.map((d) => `${d.address},${d.port},${d.name},"${d.tags}"`)].join('\n');
    case 'inventory-yaml':
      return toYaml({ devices: value.devices.map((d) => ({ ...d, tags: d.tags.split(';') })) });
    default:
      throw new Error(`unknown kind ${value.kind}`);
  }
}

function refusedWith(error: unknown, ...kinds: Array<new (...args: never[]) => Error>): void {
  assert.ok(
    kinds.some((kind) => error instanceof kind),
    `refused with ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)} rather than ${kinds.map((k) => k.name).join(' or ')}`,
  );
  assert.ok((error as Error).message.length > 0);
}

function checkCampaign(file: string, valid: boolean): void {
  let fields: Record<string, unknown>;
  try {
    fields = readCampaignFile(file);
  } catch (error) {
    if (valid) throw error;
    refusedWith(error, UsageFailure);
    return;
  }
  try {
    const { request, settings } = checkCampaignRequest(fields);
    assert.equal(typeof request.name, 'string');
    assert.ok(settings.waves.length > 0, 'an accepted campaign has waves');
  } catch (error) {
    if (valid) throw error;
    refusedWith(error, CampaignRequestError);
  }
}

function checkInventory(source: string, format: 'csv' | 'yaml', expected: number | undefined): void {
  try {
    const devices = parseImport(source, format);
    if (expected !== undefined) assert.equal(devices.length, expected, 'every row of a valid file is imported');
    for (const device of devices)
      assert.ok(AllowedNetworks.loopback.allows(device.address), `accepted an address outside the allowed networks: ${device.address}`);
  } catch (error) {
    if (expected !== undefined) throw error;
    refusedWith(error, ImportError);
  }
}

export const operatorFilesTarget = fuzzTarget({
  name: 'operator-files',
  description: 'campaign files (YAML/JSON) and inventory imports (CSV/YAML): valid accepted, mutated or random refused with their own errors',
  defaultInputs: 150_000,
  open: async () => mkdtempSync(join(tmpdir(), 'sf-fuzz-files-')),
  property: (dir: string) =>
    fc.property(input, (value) => {
      const valid = value.random === undefined && value.mutations === undefined;
      const source = value.random ?? (value.mutations ? mutateText(text(value), value.mutations) : text(value));
      if (value.kind.startsWith('campaign')) {
        const file = join(dir, value.kind === 'campaign-json' ? 'campaign.json' : 'campaign.yaml');
        writeFileSync(file, source);
        checkCampaign(file, valid);
      } else {
        checkInventory(source, value.kind === 'inventory-csv' ? 'csv' : 'yaml', valid ? value.devices.length : undefined);
      }
    }),
  close: async (dir: string) => rmSync(dir, { recursive: true, force: true }),
});
