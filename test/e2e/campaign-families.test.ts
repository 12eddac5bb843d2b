// One campaign over a mixed fleet: reference IADs and DOCSIS modems side by side, one image per model,
// some devices with faults. Every device ends verified or truly reported, and what each device runs
// afterwards agrees with its run.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FaultPlan } from '../../src/agent/faults.ts';
import { docsisPersonality } from '../../src/families/docsis/personality.ts';
import { type CampaignWorld, createCampaign, quickPolicy, startCampaignWorld } from '../helpers/campaign-world.ts';

const devices = 40;
const modemModel = 'CM-3200';
/** Odd devices are modems, even ones reference IADs. */
const isModem = (n: number) => n % 2 === 1;
const faults: Record<number, FaultPlan> = {
  // A download that fails once, on each kind: retried by the policy.
  3: { failDownloads: { count: 1, cause: 'transferTimeout' } },
  4: { failDownloads: { count: 1, cause: 'transferTimeout' } },
  // Software that never starts, on each kind: the run fails and the device keeps its old software.
  5: { failBoots: 9 },
  6: { failBoots: 9 },
  // Notifications lost: polling finishes.
  7: { dropNotifications: 1 },
  8: { dropNotifications: 1 },
};

let world: CampaignWorld;

before(async () => {
  world = await startCampaignWorld({
    devices,
    faults: (n) => faults[n] ?? {},
    tags: () => ['mixed'],
    kindOf: (n, lab) =>
      (isModem(n)
        ? { family: 'docsis', personality: docsisPersonality({ tftpPort: lab.tftpPort }), model: modemModel, software: lab.softwareFor(modemModel) }
        : undefined)!,
  });
});

after(async () => {
  await world?.stop();
});

test('a campaign over reference IADs and DOCSIS modems upgrades each with its own image; faults are truly reported', { timeout: 240_000 }, async () => {
  const iadImage = await world.image('3.0.0');
  const modemImage = await world.image('3.0.0', modemModel, 'docsis');
  const retryOnce = { retries: 1, backoffSeconds: 0.2, then: 'abort' as const };
  const campaign = await createCampaign(world, {
    name: 'mixed fleet',
    image: iadImage,
    images: [modemImage],
    tags: ['mixed'],
    waves: '25%,100%',
    maxConcurrent: 20,
    threshold: 10,
    policy: { ...quickPolicy, upgrade: retryOnce },
    operator: 'tester',
  });
  const done = await world.waitForState(campaign.id, ['completed'], 200);
  const failing = new Set([5, 6]);
  for (let n = 1; n <= devices; n++) {
    const entry = done.devices.find((d) => d.name === `${isModem(n) ? 'docsis' : 'iad'}-${n}`)!;
    const now = await world.read(n);
    if (failing.has(n)) {
      assert.ok(!['verified', 'recovered'].includes(entry.state), `device ${n} cannot be upgraded, yet is ${entry.state}`);
      assert.equal(now.runningVersion, '1.0.0', `device ${n} still runs its old software`);
    } else {
      // recovered: verified after a failed attempt.
      assert.ok(['verified', 'recovered'].includes(entry.state), `device ${n} is ${entry.state}: ${entry.message ?? ''}`);
      assert.equal(now.runningVersion, '3.0.0', `device ${n} runs the new version`);
    }
  }
  // Each device got its own model's image.
  const runs = await world.runs(campaign.id);
  assert.equal(runs.length, devices);
  const modemRuns = runs.filter((r) => r.imageSha256 === modemImage).length;
  assert.equal(modemRuns, devices / 2);
});
