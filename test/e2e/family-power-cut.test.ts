// A power cut for real, in every family: the agent process playing a reference IAD, a VRP device, an IOS
// router and a DOCSIS modem is SIGKILLed while all four download their new software, and started again on
// the same state. The manager
// found the devices by discovery (which names their families) and its runs finish on each.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureVendorSoftware, vendorKeyPrefix } from '../../src/agent/vendor-key.ts';
import type { ServedManager } from '../../src/interfaces/http/serve.ts';
import type { RunRecord } from '../../src/manager/store/records.ts';
import { keyPairFiles, readPrivateKey } from '../../src/protocol/keys.ts';
import { labImage, labModel, startLoopbackManager } from '../helpers/loopback-lab.ts';
import { finalStates } from '../helpers/procedure-harness.ts';
import { type AgentProcess, randomBaseAddress, randomPort, startAgentProcess } from '../helpers/snmp-agent-process.ts';
import { testUser } from '../helpers/snmp-device.ts';

const models: Record<string, string> = { safeflash: labModel, huawei: 'AR2220', 'cisco-ios': 'ISR-4321', docsis: 'CM-3200' };
let dir: string;
let manager: ServedManager;
let agent: AgentProcess | undefined;
let agentArgs: string[];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sf-power-cut-'));
  await chmod(dir, 0o755);
  // The vendor key both sides use: the manager trusts it, the agent's devices boot software signed by it.
  ensureVendorSoftware(join(dir, 'vendor'), labModel);
  manager = await startLoopbackManager(dir, { timeouts: { downloadSeconds: 30, bootSeconds: 15, pollSeconds: 0.5 } });
  const base = randomBaseAddress(14);
  const port = randomPort();
  agentArgs = [
    ...['--families', 'safeflash=1,huawei=1,cisco-ios=1,docsis=1', '--base-address', base, '--port', String(port)],
    ...['--state-dir', join(dir, 'vendor'), '--reboot-ms', '300'],
    ...['--user', testUser.name, '--auth-key', testUser.authKey, '--priv-key', testUser.privKey],
    ...['--notify', `127.0.0.1:${manager.notifyTarget.port}`],
    ...['--tftp-port', String(manager.files.endpoint('tftp').port), '--ftp-port', String(manager.files.endpoint('ftp').port)],
    // Slow transfers: a pause at every tenth of a file, so that the cut comes mid-download.
    ...['--fault', 'slow-transfer=150ms'],
  ];
  agent = await startAgentProcess(agentArgs);
  const cidr = `${base.replace(/\.1$/, '.0')}/29`;
  const report = await manager.inventory.discover({
    cidr,
    credentials: { port, v3User: testUser.name, authKey: testUser.authKey, privKey: testUser.privKey },
    actor: 'operator:tester',
  });
  assert.deepEqual(report.found.map((f) => f.device.family).sort(), ['cisco-ios', 'docsis', 'huawei', 'safeflash']);
});

after(async () => {
  await agent?.stop();
  await manager?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('SIGKILL mid-download of an IAD, a VRP device, an IOS router and a DOCSIS modem: all come back and every run finishes verified', {
  timeout: 180_000,
}, async () => {
  const vendorKey = readPrivateKey(keyPairFiles(vendorKeyPrefix(join(dir, 'vendor'))).privateKeyFile);
  const policy = { retries: 3, backoffSeconds: 0.5, then: 'abort' as const };
  const runs: RunRecord[] = [];
  for (const device of await manager.inventory.devices.list()) {
    const model = models[device.family]!;
    const image = await manager.files.addImage(labImage(vendorKey, { model, version: '4.0.0', family: device.family }));
    runs.push(
      await manager.procedure.startRun({
        deviceId: device.id,
        imageSha256: image.sha256,
        policy: { backup: policy, upgrade: policy, migrate: policy, restore: policy },
        startedBy: 'operator:tester',
      }),
    );
  }
  // Cut the power once every download is under way.
  for (let waited = 0; waited < 600; waited++) {
    const downloading = await Promise.all(
      runs.map(async (run) =>
        (await manager.procedure.runs.timeline(run.id)).some((e) => e.kind === 'operationStarted' && e.detail?.type === 'downloadSoftware'),
      ),
    );
    if (downloading.every(Boolean)) break;
    await sleep(100);
  }
  await sleep(300);
  await agent!.kill();
  await sleep(500);
  agent = await startAgentProcess(agentArgs);

  for (const run of runs) {
    let now = await manager.procedure.runs.get(run.id);
    for (let waited = 0; waited < 1200 && !finalStates.includes(now!.state); waited++) {
      await sleep(100);
      now = await manager.procedure.runs.get(run.id);
    }
    const timeline = await manager.procedure.runs.timeline(run.id);
    assert.equal(now?.state, 'verified', `${now?.outcome?.summary}\n${timeline.map((e) => `${e.phase} ${e.kind} ${e.cause ?? ''} ${e.message}`).join('\n')}`);
    assert.equal(now?.outcome?.runningVersion, '4.0.0');
  }
  for (const device of await manager.inventory.devices.list()) {
    assert.equal((await manager.inventory.refresh(device, 'operator:tester')).runningVersion, '4.0.0', `${device.family} device runs the new software`);
  }
});
