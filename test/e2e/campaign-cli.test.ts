// `safeflash campaign` as operators use it, against a manager and fleet in this process: bad input is
// refused with exit 2 and changes nothing; a campaign file creates a gated campaign that the CLI
// shows, approves and sees complete.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../helpers/cli-process.ts';
import { startCampaignWorld, type CampaignWorld } from '../helpers/campaign-world.ts';

let world: CampaignWorld;
const dir = mkdtempSync(join(tmpdir(), 'sf-campaign-cli-'));
let env: Record<string, string>;

before(async () => {
  world = await startCampaignWorld({ devices: 3, tags: (n) => (n <= 2 ? ['lab'] : []) });
  const tokenFile = (world.manager as { operatorTokenFile?: string }).operatorTokenFile;
  env = { SAFEFLASH_SERVER: world.manager.url, ...(tokenFile ? { SAFEFLASH_TOKEN: readFileSync(tokenFile, 'utf8').trim() } : {}) };
});

after(async () => {
  await world?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli(['campaign', ...args], { env, timeoutMs: 60_000 });

test('bad campaign input is refused with exit 2, every problem named, nothing created', { timeout: 60_000 }, async () => {
  const bad = await cli('create', '--name', 'x', '--image', 'ab'.repeat(32), '--waves', '10%,5%', '--threshold', '0', '--window', '02:00-05:00');
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /percentages are cumulative and must grow/);
  assert.match(bad.stderr, /threshold "0"/);
  assert.match(bad.stderr, /a window needs its time zone/);
  assert.match(bad.stderr, /select devices/);
  const file = join(dir, 'broken.yaml');
  writeFileSync(file, 'name: [unclosed\n');
  const broken = await cli('create', '--file', file);
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /not valid YAML/);
  const unknownImage = await cli('create', '--name', 'x', '--image', 'ab'.repeat(32), '--waves', '100%', '--tag', 'lab');
  assert.equal(unknownImage.code, 2, unknownImage.stderr);
  const listed = await cli('list', '--json');
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout), []);
});

test('a campaign file creates a gated campaign; show, approve, and it completes', { timeout: 90_000 }, async () => {
  const image = await world.image('3.0.0');
  const file = join(dir, 'campaign.yaml');
  writeFileSync(
    file,
    [
      `name: lab first`,
      `image: ${image}`,
      `tags: [lab]`,
      `waves: "1,1"`,
      `approval: true`,
      `maxConcurrent: 1`,
      `policy:`,
      `  upgrade: { retries: 0, then: abort }`,
      '',
    ].join('\n'),
  );
  const created = await cli('create', '--file', file, '--json');
  assert.equal(created.code, 0, created.stderr);
  const campaign = JSON.parse(created.stdout) as { id: string; stages: Array<{ size: number }> };
  assert.deepEqual(
    campaign.stages.map((s) => s.size),
    [1, 1],
    'the two lab devices, one per wave',
  );
  await world.waitForState(campaign.id, ['awaitingApproval']);
  const shown = await cli('show', campaign.id);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /awaitingApproval/);
  assert.match(shown.stdout, /awaits approval: safeflash campaign approve/);
  const resumeWrong = await cli('resume', campaign.id);
  assert.equal(resumeWrong.code, 1, 'resuming a campaign that is not paused is refused');
  const approved = await cli('approve', campaign.id, '--wave', '2', '--operator', 'cli-tester');
  assert.equal(approved.code, 0, approved.stderr);
  await world.waitForState(campaign.id, ['completed']);
  const list = await cli('list');
  assert.match(list.stdout, new RegExp(`${campaign.id}\\s+lab first\\s+3\\.0\\.0\\s+completed`));
  const detail = JSON.parse((await cli('show', campaign.id, '--json')).stdout) as { devices: Array<{ name: string; state: string }> };
  assert.deepEqual(
    detail.devices.map((d) => d.state),
    ['verified', 'verified'],
  );
  assert.equal((await world.read(3)).runningVersion === '3.0.0', false, 'the untagged device was not touched');
});
