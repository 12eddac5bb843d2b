// One campaign over a mixed fleet: reference IADs, Huawei VRP devices, Cisco IOS routers and DOCSIS modems
// side by side, one image per model, some devices of each family with faults. Every device ends verified or truly reported, and what each device runs
// afterwards agrees with its run.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FaultPlan } from '../../src/agent/faults.ts';
import { safeflashPersonality } from '../../src/agent/snmp/safeflash-personality.ts';
import { ciscoIosPersonality } from '../../src/families/cisco-ios/personality.ts';
import { docsisPersonality } from '../../src/families/docsis/personality.ts';
import { huaweiPersonality } from '../../src/families/huawei/personality.ts';
import { type CampaignWorld, createCampaign, quickPolicy, startCampaignWorld } from '../helpers/campaign-world.ts';

const devices = 44;
/** Device n's family, in turn: a reference IAD, a Huawei VRP device, a Cisco IOS router, a DOCSIS modem. */
const kinds = [
  { family: 'safeflash', model: 'IAD-2400', name: 'iad' },
  { family: 'huawei', model: 'AR2220', name: 'huawei' },
  { family: 'cisco-ios', model: 'ISR-4321', name: 'cisco-ios' },
  { family: 'docsis', model: 'CM-3200', name: 'docsis' },
] as const;
const kindOf = (n: number) => kinds[(n - 1) % kinds.length]!;
/** One device of each family with each fault: devices 5-8, 9-12 and 13-16. */
const faultOfRound: FaultPlan[] = [
  // A download that fails once: retried by the policy.
  { failDownloads: { count: 1, cause: 'transferTimeout' } },
  // Software that never starts: the run fails and the device keeps its old software.
  { failBoots: 9 },
  // Notifications lost: polling finishes.
  { dropNotifications: 1 },
];
const faults = (n: number): FaultPlan => (n >= 5 && n <= 16 ? faultOfRound[Math.floor((n - 5) / 4)]! : {});

let world: CampaignWorld;

before(async () => {
  world = await startCampaignWorld({
    devices,
    faults,
    tags: () => ['mixed'],
    kindOf: (n, lab) => {
      const { family, model } = kindOf(n);
      const ports = { tftpPort: lab.tftpPort, ftpPort: lab.ftpPort };
      const personality = {
        safeflash: () => safeflashPersonality,
        huawei: () => huaweiPersonality(ports),
        'cisco-ios': () => ciscoIosPersonality(ports),
        docsis: () => docsisPersonality(ports),
      }[family]();
      return { family, personality, model, software: lab.softwareFor(model) };
    },
  });
});

after(async () => {
  await world?.stop();
});

test('a campaign over IADs, VRP devices, IOS routers and DOCSIS modems upgrades each with its own image; faults are truly reported', {
  timeout: 240_000,
}, async () => {
  const images = await Promise.all(kinds.map(({ model, family }) => world.image('3.0.0', model, family)));
  const retryOnce = { retries: 1, backoffSeconds: 0.2, then: 'abort' as const };
  const campaign = await createCampaign(world, {
    name: 'mixed fleet',
    image: images[0],
    images: images.slice(1),
    tags: ['mixed'],
    waves: '25%,100%',
    maxConcurrent: 20,
    threshold: 10,
    policy: { ...quickPolicy, upgrade: retryOnce },
    operator: 'tester',
  });
  const done = await world.waitForState(campaign.id, ['completed'], 200);
  const failing = new Set([9, 10, 11, 12]);
  for (let n = 1; n <= devices; n++) {
    const entry = done.devices.find((d) => d.name === `${kindOf(n).name}-${n}`)!;
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
  for (const image of images) assert.equal(runs.filter((r) => r.imageSha256 === image).length, devices / kinds.length);
});
