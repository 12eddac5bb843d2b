// A virtual DOCSIS modem (safeflash-agent --family docsis) upgraded with Net-SNMP's snmpset alone, by
// RFC 4639's numeric OIDs, as an operator's script would: server address, file name, upgradeFromMgt;
// snmpget watches docsDevSwOperStatus, and snmptrapd receives the modem's RFC 4547 notifications.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureVendorSoftware, vendorKeyPrefix } from '../../src/agent/vendor-key.ts';
import { docsisNotifications, docsisScalars } from '../../src/families/docsis/objects.ts';
import { packImage } from '../../src/protocol/image.ts';
import { keyPairFiles, readPrivateKey } from '../../src/protocol/keys.ts';
import type { SnmpSecurity } from '../../src/protocol/snmp/security.ts';
import { TftpServer } from '../../src/protocol/tftp/server.ts';
import { netSnmpMissing, requestArguments, runTool, type Snmptrapd, snmptrapdMissing, startSnmptrapd } from '../helpers/net-snmp-tools.ts';
import { type AgentProcess, randomBaseAddress, randomPort, startAgentProcess } from '../helpers/snmp-agent-process.ts';
import { pollFor } from '../helpers/snmp-device.ts';

const community = 'modem-rw';
const v2c: SnmpSecurity = { version: 'v2c', community };
const model = 'CM-3200';
const at = (object: { oid: string }) => `${object.oid}.0`;
/** A notification's OID as snmptrapd prints it without the module loaded: under mib-2. */
const printed = (oid: string) => new RegExp(`OID: SNMPv2-SMI::${oid.replace(/^1\.3\.6\.1\.2\.1\./, 'mib-2.').replaceAll('.', '\\.')}\\b`);

/** snmpget -Oqv of numeric OIDs, without MIBs: what Net-SNMP prints for each value. */
async function get(target: string, ...oids: string[]): Promise<string[]> {
  const r = await runTool('snmpget', [...requestArguments(v2c), '-m', '', '-Oqv', target, ...oids]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split('\n');
}

describe('a virtual DOCSIS modem driven by Net-SNMP tools', { skip: netSnmpMissing || snmptrapdMissing }, () => {
  let dir: string;
  let agent: AgentProcess;
  let tftp: TftpServer;
  let trapd: Snmptrapd;
  let target: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sf-docsis-'));
    const stateDir = join(dir, 'agent');
    ensureVendorSoftware(stateDir, model);
    const root = join(dir, 'tftp');
    await mkdir(root);
    const vendorKey = readPrivateKey(keyPairFiles(vendorKeyPrefix(stateDir)).privateKeyFile);
    await writeFile(join(root, 'cm-2.0.0.bin'), packImage({ model, version: '2.0.0', configFormat: 1 }, Buffer.from('modem software 2.0.0\n'), vendorKey));
    tftp = new TftpServer({ root, address: '127.0.0.1', port: 0 });
    await tftp.start();
    const trapPort = randomPort();
    trapd = await startSnmptrapd(join(dir, 'trapd.conf'), [`authCommunity log,execute,net ${community}`], `udp:127.0.0.1:${trapPort}`);
    const port = randomPort();
    agent = await startAgentProcess([
      ...['--family', 'docsis', '--devices', '1', '--base-address', randomBaseAddress(5), '--port', String(port)],
      ...['--state-dir', stateDir, '--reboot-ms', '200', '--community', community, '--tftp-port', String(tftp.port)],
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

  test('snmpwalk of docsDevSoftware shows the running version and no upgrade yet; sysDescr says what the modem is', async () => {
    const r = await runTool('snmpwalk', [...requestArguments(v2c), '-m', '', '-On', target, '1.3.6.1.2.1.69.1.3']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`\\.${at(docsisScalars.docsDevSwCurrentVers).replaceAll('.', '\\.')} = STRING: "1\\.0\\.0"`));
    assert.match(r.stdout, new RegExp(`\\.${at(docsisScalars.docsDevSwOperStatus).replaceAll('.', '\\.')} = INTEGER: 5`));
    const [descr] = await get(target, '1.3.6.1.2.1.1.1.0');
    assert.match(descr!, /<<HW_REV: .*; VENDOR: .*; SW_REV: 1\.0\.0; MODEL: CM-3200>>/);
  });

  test('one snmpset of server, file name and upgradeFromMgt upgrades the modem; snmptrapd hears it', async () => {
    const r = await runTool('snmpset', [
      ...requestArguments(v2c),
      '-m',
      '',
      target,
      ...[at(docsisScalars.docsDevSwServerAddressType), 'i', '1'],
      ...[at(docsisScalars.docsDevSwServerAddress), 'x', '7F000001'],
      ...[at(docsisScalars.docsDevSwFilename), 's', 'cm-2.0.0.bin'],
      ...[at(docsisScalars.docsDevSwAdminStatus), 'i', '1'],
    ]);
    assert.equal(r.code, 0, r.stderr);
    // completeFromMgt(3) once the modem has rebooted into the new software.
    const status = await pollFor(
      async () => {
        const answer = await runTool('snmpget', [...requestArguments(v2c), '-m', '', '-Oqv', target, at(docsisScalars.docsDevSwOperStatus)]);
        const value = answer.stdout.trim();
        return answer.code === 0 && (value === '3' || value === '4') ? value : undefined;
      },
      200,
      100,
    );
    assert.equal(status, '3');
    assert.deepEqual(await get(target, at(docsisScalars.docsDevSwCurrentVers), at(docsisScalars.docsDevSwFilename), at(docsisScalars.docsDevSwAdminStatus)), [
      '"2.0.0"',
      '"cm-2.0.0.bin"',
      // ignoreProvisioningUpgrade: the provisioning file's software no longer applies.
      '3',
    ]);
    await trapd.waitFor(printed(docsisNotifications.docsDevCmSwUpgradeInitNotif.oid), 20_000);
    const log = await trapd.waitFor(printed(docsisNotifications.docsDevCmSwUpgradeSuccessNotif.oid), 20_000);
    assert.match(log, /upgrade to 2\.0\.0 complete/);
  });

  test('a SET that names no file is refused and changes nothing', async () => {
    const r = await runTool('snmpset', [...requestArguments(v2c), '-m', '', target, at(docsisScalars.docsDevResetNow), 'i', '3']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /wrongValue|badValue/i);
    const wrongType = await runTool('snmpset', [...requestArguments(v2c), '-m', '', target, at(docsisScalars.docsDevSwFilename), 'i', '1']);
    assert.notEqual(wrongType.code, 0);
    assert.match(wrongType.stderr, /wrongType|badValue/i);
    assert.deepEqual(await get(target, at(docsisScalars.docsDevSwFilename)), ['"cm-2.0.0.bin"']);
  });
});
