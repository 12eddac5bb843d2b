// A virtual Huawei VRP device (safeflash-agent --family huawei) driven by Net-SNMP's tools alone, by the
// MIBs' numeric OIDs: one snmpset of huaweiFlhOpTable columns with createAndGo copies an image from a
// TFTP server into flash (net2Flash); snmpget watches hwFlhOperStatus; the image table shows the new
// image beside the running one; snmptrapd receives hwFlhOperNotification.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { flashOperColumns as flash, huaweiNotifications, imageColumns } from '../../src/families/huawei/objects.ts';
import { type FamilyInterop, printedNotification, startFamilyInterop } from '../helpers/family-interop.ts';
import { netSnmpMissing, requestArguments, runTool, snmptrapdMissing } from '../helpers/net-snmp-tools.ts';
import { pollFor } from '../helpers/snmp-device.ts';

describe('a virtual VRP device driven by Net-SNMP tools', { skip: netSnmpMissing || snmptrapdMissing }, () => {
  let lab: FamilyInterop;

  before(async () => {
    lab = await startFamilyInterop('huawei', 'AR2220', 7, { 'ar2220-2.0.0.cc': '2.0.0' });
  });

  after(async () => {
    await lab?.stop();
  });

  test('net2Flash by one snmpset with createAndGo: the image lands in flash beside the running one, snmptrapd hears the end', async () => {
    const row = 1000 + Math.floor(Math.random() * 100_000);
    const at = (column: { oid: string }) => `${column.oid}.${row}`;
    const r = await runTool('snmpset', [
      ...requestArguments(lab.security),
      '-m',
      '',
      lab.target,
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
        const answer = await runTool('snmpget', [...requestArguments(lab.security), '-m', '', '-Oqv', lab.target, at(flash.hwFlhOperStatus)]);
        const value = answer.stdout.trim();
        return answer.code === 0 && value !== '1' ? value : undefined;
      },
      100,
      100,
    );
    assert.equal(status, '2', 'opSuccess(2)');
    const images = await runTool('snmpwalk', [...requestArguments(lab.security), '-m', '', '-Oqv', lab.target, imageColumns.hwSysImageVersion.oid]);
    assert.deepEqual(images.stdout.trim().split('\n').sort(), ['"1.0.0"', '"2.0.0"']);
    const log = await lab.trapd.waitFor(printedNotification(huaweiNotifications.hwFlhOperNotification.oid), 20_000);
    assert.match(log, new RegExp(`enterprises\\.2011\\.6\\.9\\.1\\.2\\.1\\.1\\.9\\.${row} = INTEGER: 2`));
  });

  test('a row with no source file is refused and nothing is created', async () => {
    const row = 300_000 + Math.floor(Math.random() * 100_000);
    const refused = await runTool('snmpset', [
      ...requestArguments(lab.security),
      '-m',
      '',
      lab.target,
      `${flash.hwFlhOperType.oid}.${row}`,
      'i',
      '2',
      `${flash.hwFlhOperRowStatus.oid}.${row}`,
      'i',
      '4',
    ]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /inconsistentValue/);
    const after = await runTool('snmpget', [...requestArguments(lab.security), '-m', '', '-Oqv', lab.target, `${flash.hwFlhOperStatus.oid}.${row}`]);
    assert.match(after.stdout, /No Such Instance/);
  });
});
