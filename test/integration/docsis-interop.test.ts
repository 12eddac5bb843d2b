// A virtual DOCSIS modem (safeflash-agent --family docsis) upgraded with Net-SNMP's snmpset alone, by
// RFC 4639's numeric OIDs, as an operator's script would: server address, file name, upgradeFromMgt;
// snmpget watches docsDevSwOperStatus, and snmptrapd receives the modem's RFC 4547 notifications.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { docsisNotifications, docsisScalars } from '../../src/families/docsis/objects.ts';
import { type FamilyInterop, printedNotification, startFamilyInterop } from '../helpers/family-interop.ts';
import { netSnmpMissing, requestArguments, runTool, snmptrapdMissing } from '../helpers/net-snmp-tools.ts';
import { pollFor } from '../helpers/snmp-device.ts';

const at = (object: { oid: string }) => `${object.oid}.0`;

describe('a virtual DOCSIS modem driven by Net-SNMP tools', { skip: netSnmpMissing || snmptrapdMissing }, () => {
  let lab: FamilyInterop;

  before(async () => {
    lab = await startFamilyInterop('docsis', 'CM-3200', 5, { 'cm-2.0.0.bin': '2.0.0' });
  });

  after(async () => {
    await lab?.stop();
  });

  test('snmpwalk of docsDevSoftware shows the running version and no upgrade yet; sysDescr says what the modem is', async () => {
    const r = await runTool('snmpwalk', [...requestArguments(lab.security), '-m', '', '-On', lab.target, '1.3.6.1.2.1.69.1.3']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`\\.${at(docsisScalars.docsDevSwCurrentVers).replaceAll('.', '\\.')} = STRING: "1\\.0\\.0"`));
    assert.match(r.stdout, new RegExp(`\\.${at(docsisScalars.docsDevSwOperStatus).replaceAll('.', '\\.')} = INTEGER: 5`));
    const [descr] = await lab.get('1.3.6.1.2.1.1.1.0');
    assert.match(descr!, /<<HW_REV: .*; VENDOR: .*; SW_REV: 1\.0\.0; MODEL: CM-3200>>/);
  });

  test('one snmpset of server, file name and upgradeFromMgt upgrades the modem; snmptrapd hears it', async () => {
    const r = await runTool('snmpset', [
      ...requestArguments(lab.security),
      '-m',
      '',
      lab.target,
      ...[at(docsisScalars.docsDevSwServerAddressType), 'i', '1'],
      ...[at(docsisScalars.docsDevSwServerAddress), 'x', '7F000001'],
      ...[at(docsisScalars.docsDevSwFilename), 's', 'cm-2.0.0.bin'],
      ...[at(docsisScalars.docsDevSwAdminStatus), 'i', '1'],
    ]);
    assert.equal(r.code, 0, r.stderr);
    // completeFromMgt(3) once the modem has rebooted into the new software.
    const status = await pollFor(
      async () => {
        const answer = await runTool('snmpget', [...requestArguments(lab.security), '-m', '', '-Oqv', lab.target, at(docsisScalars.docsDevSwOperStatus)]);
        const value = answer.stdout.trim();
        return answer.code === 0 && (value === '3' || value === '4') ? value : undefined;
      },
      200,
      100,
    );
    assert.equal(status, '3');
    assert.deepEqual(await lab.get(at(docsisScalars.docsDevSwCurrentVers), at(docsisScalars.docsDevSwFilename), at(docsisScalars.docsDevSwAdminStatus)), [
      '"2.0.0"',
      '"cm-2.0.0.bin"',
      // ignoreProvisioningUpgrade: the provisioning file's software no longer applies.
      '3',
    ]);
    await lab.trapd.waitFor(printedNotification(docsisNotifications.docsDevCmSwUpgradeInitNotif.oid), 20_000);
    const log = await lab.trapd.waitFor(printedNotification(docsisNotifications.docsDevCmSwUpgradeSuccessNotif.oid), 20_000);
    assert.match(log, /upgrade to 2\.0\.0 complete/);
  });

  test('a SET of a wrong value or type is refused and changes nothing', async () => {
    const r = await runTool('snmpset', [...requestArguments(lab.security), '-m', '', lab.target, at(docsisScalars.docsDevResetNow), 'i', '3']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /wrongValue|badValue/i);
    const wrongType = await runTool('snmpset', [...requestArguments(lab.security), '-m', '', lab.target, at(docsisScalars.docsDevSwFilename), 'i', '1']);
    assert.notEqual(wrongType.code, 0);
    assert.match(wrongType.stderr, /wrongType|badValue/i);
    assert.deepEqual(await lab.get(at(docsisScalars.docsDevSwFilename)), ['"cm-2.0.0.bin"']);
  });
});
