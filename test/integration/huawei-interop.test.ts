// A virtual Huawei VRP device (safeflash-agent --family huawei) driven by Net-SNMP's tools alone, by the
// MIBs' numeric OIDs: one snmpset of huaweiFlhOpTable columns with createAndGo copies an image from a
// TFTP server into flash (net2Flash); snmpget watches hwFlhOperStatus; the image table shows the new
// image beside the running one; snmptrapd receives hwFlhOperNotification.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureVendorSoftware, vendorKeyPrefix } from '../../src/agent/vendor-key.ts';
import { flashOperColumns as flash, huaweiNotifications, imageColumns } from '../../src/families/huawei/objects.ts';
import { packImage } from '../../src/protocol/image.ts';
import { keyPairFiles, readPrivateKey } from '../../src/protocol/keys.ts';
import type { SnmpSecurity } from '../../src/protocol/snmp/security.ts';
import { TftpServer } from '../../src/protocol/tftp/server.ts';
import { netSnmpMissing, requestArguments, runTool, type Snmptrapd, snmptrapdMissing, startSnmptrapd } from '../helpers/net-snmp-tools.ts';
import { type AgentProcess, randomBaseAddress, randomPort, startAgentProcess } from '../helpers/snmp-agent-process.ts';
import { pollFor } from '../helpers/snmp-device.ts';

const community = 'vrp-rw';
const v2c: SnmpSecurity = { version: 'v2c', community };
const model = 'AR2220';

describe('a virtual VRP device driven by Net-SNMP tools', { skip: netSnmpMissing || snmptrapdMissing }, () => {
  let dir: string;
  let agent: AgentProcess;
  let tftp: TftpServer;
  let trapd: Snmptrapd;
  let target: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sf-vrp-'));
    const stateDir = join(dir, 'agent');
    ensureVendorSoftware(stateDir, model);
    const root = join(dir, 'tftp');
    await mkdir(root);
    const vendorKey = readPrivateKey(keyPairFiles(vendorKeyPrefix(stateDir)).privateKeyFile);
    await writeFile(join(root, 'ar2220-2.0.0.cc'), packImage({ model, version: '2.0.0', configFormat: 1 }, Buffer.from('VRP 2.0.0\n'), vendorKey));
    tftp = new TftpServer({ root, address: '127.0.0.1', port: 0 });
    await tftp.start();
    const trapPort = randomPort();
    trapd = await startSnmptrapd(join(dir, 'trapd.conf'), [`authCommunity log,execute,net ${community}`], `udp:127.0.0.1:${trapPort}`);
    const port = randomPort();
    agent = await startAgentProcess([
      ...['--family', 'huawei', '--devices', '1', '--base-address', randomBaseAddress(7), '--port', String(port)],
      ...['--state-dir', stateDir, '--community', community, '--tftp-port', String(tftp.port)],
      ...['--notify-version', 'v2c', '--notify', `127.0.0.1:${trapPort}`],
    ]);
    target = `${agent.devices[0]!.address}:${port}`;
  });

  after(async () => {
    await agent?.stop();
    await trapd?.stop();
    await tftp?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('net2Flash by one snmpset with createAndGo: the image lands in flash beside the running one, snmptrapd hears the end', async () => {
    const row = 1000 + Math.floor(Math.random() * 100_000);
    const at = (column: { oid: string }) => `${column.oid}.${row}`;
    const r = await runTool('snmpset', [
      ...requestArguments(v2c),
      '-m',
      '',
      target,
      ...[at(flash.hwFlhOperType), 'i', '2'],
      ...[at(flash.hwFlhOperProtocol), 'i', '3'],
      ...[at(flash.hwFlhOperServerAddress), 'a', '127.0.0.1'],
      ...[at(flash.hwFlhOperSourceFile), 's', 'ar2220-2.0.0.cc'],
      ...[at(flash.hwFlhOperEndNotification), 'i', '1'],
      ...[at(flash.hwFlhOperRowStatus), 'i', '4'],
    ]);
    assert.equal(r.code, 0, r.stderr);
    const status = await pollFor(
      async () => {
        const answer = await runTool('snmpget', [...requestArguments(v2c), '-m', '', '-Oqv', target, at(flash.hwFlhOperStatus)]);
        const value = answer.stdout.trim();
        return answer.code === 0 && value !== '1' ? value : undefined;
      },
      100,
      100,
    );
    assert.equal(status, '2', 'opSuccess(2)');
    const images = await runTool('snmpwalk', [...requestArguments(v2c), '-m', '', '-Oqv', target, imageColumns.hwSysImageVersion.oid]);
    assert.deepEqual(images.stdout.trim().split('\n').sort(), ['"1.0.0"', '"2.0.0"']);
    const printed = huaweiNotifications.hwFlhOperNotification.oid.replace(/^1\.3\.6\.1\.4\.1\./, 'enterprises.').replaceAll('.', '\\.');
    const log = await trapd.waitFor(new RegExp(`OID: SNMPv2-SMI::${printed}\\b`), 20_000);
    assert.match(log, new RegExp(`enterprises\\.2011\\.6\\.9\\.1\\.2\\.1\\.1\\.9\\.${row} = INTEGER: 2`));
  });

  test('a row with no source file is refused and nothing is created', async () => {
    const row = 300_000 + Math.floor(Math.random() * 100_000);
    const refused = await runTool('snmpset', [
      ...requestArguments(v2c),
      '-m',
      '',
      target,
      `${flash.hwFlhOperType.oid}.${row}`,
      'i',
      '2',
      `${flash.hwFlhOperRowStatus.oid}.${row}`,
      'i',
      '4',
    ]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /inconsistentValue/);
    const after = await runTool('snmpget', [...requestArguments(v2c), '-m', '', '-Oqv', target, `${flash.hwFlhOperStatus.oid}.${row}`]);
    assert.match(after.stdout, /No Such Instance/);
  });
});
