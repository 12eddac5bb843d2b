// A virtual Cisco IOS router (safeflash-agent --family cisco-ios) driven by Net-SNMP's tools alone, by
// the MIBs' numeric OIDs, the way Cisco documents it: one snmpset of ccCopyTable columns with
// createAndGo copies the running configuration to a TFTP server; snmpget watches ccCopyState; the row
// is destroyed after; snmptrapd receives ccCopyCompletion.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseIosConfig } from '../../src/families/cisco-ios/ios-config.ts';
import { ccCopyColumns as copy, ciscoNotifications } from '../../src/families/cisco-ios/objects.ts';
import { type FamilyInterop, printedNotification, startFamilyInterop } from '../helpers/family-interop.ts';
import { netSnmpMissing, requestArguments, runTool, snmptrapdMissing } from '../helpers/net-snmp-tools.ts';
import { pollFor } from '../helpers/snmp-device.ts';

const at = (column: { oid: string }, row: number) => `${column.oid}.${row}`;

describe("a virtual IOS router driven by Cisco's documented snmpset recipe", { skip: netSnmpMissing || snmptrapdMissing }, () => {
  let lab: FamilyInterop;

  before(async () => {
    lab = await startFamilyInterop('cisco-ios', 'ISR-4321', 6);
  });

  after(async () => {
    await lab?.stop();
  });

  test('sysDescr and the chassis say what the router runs', async () => {
    const [descr, model] = await lab.get('1.3.6.1.2.1.1.1.0', '1.3.6.1.2.1.47.1.1.1.1.13.1');
    assert.match(descr!, /^"Cisco IOS Software, ISR-4321 Software .*Version 1\.0\.0,/);
    assert.equal(model, '"ISR-4321"');
  });

  test('running-config to TFTP: one snmpset with createAndGo, ccCopyState to successful, the file is the IOS configuration', async () => {
    const row = 1000 + Math.floor(Math.random() * 100_000);
    const name = lab.tftp.issueWriteName('router-confg');
    const r = await runTool('snmpset', [
      ...requestArguments(lab.security),
      '-m',
      '',
      lab.target,
      ...[at(copy.ccCopyProtocol, row), 'i', '1'],
      ...[at(copy.ccCopySourceFileType, row), 'i', '4'],
      ...[at(copy.ccCopyDestFileType, row), 'i', '1'],
      ...[at(copy.ccCopyServerAddress, row), 'a', '127.0.0.1'],
      ...[at(copy.ccCopyFileName, row), 's', name],
      ...[at(copy.ccCopyNotificationOnCompletion, row), 'i', '1'],
      ...[at(copy.ccCopyEntryRowStatus, row), 'i', '4'],
    ]);
    assert.equal(r.code, 0, r.stderr);
    const state = await pollFor(
      async () => {
        const [value] = await lab.get(at(copy.ccCopyState, row));
        return value === '3' || value === '4' ? value : undefined;
      },
      100,
      100,
    );
    assert.equal(state, '3', 'successful(3)');
    const text = await readFile(join(lab.root, name), 'utf8');
    assert.match(text, /^Building configuration\.\.\.\n\nCurrent configuration : \d+ bytes\n/);
    assert.match(text, /\nend\n$/);
    assert.equal(parseIosConfig(text).model, 'ISR-4321', 'the text reads back as the configuration');
    const log = await lab.trapd.waitFor(printedNotification(ciscoNotifications.ccCopyCompletion.oid), 20_000);
    assert.match(log, new RegExp(`enterprises\\.9\\.9\\.96\\.1\\.1\\.1\\.1\\.10\\.${row} = INTEGER: 3`));
    // Once read, the manager deletes the row.
    const destroy = await runTool('snmpset', [...requestArguments(lab.security), '-m', '', lab.target, at(copy.ccCopyEntryRowStatus, row), 'i', '6']);
    assert.equal(destroy.code, 0, destroy.stderr);
    const gone = await runTool('snmpget', [...requestArguments(lab.security), '-m', '', '-Oqv', lab.target, at(copy.ccCopyState, row)]);
    assert.match(gone.stdout, /No Such Instance/);
  });

  test('a copy row without its destination is refused and nothing is created; an active row cannot be changed', async () => {
    const row = 200_000 + Math.floor(Math.random() * 100_000);
    const refused = await runTool('snmpset', [
      ...requestArguments(lab.security),
      '-m',
      '',
      lab.target,
      ...[at(copy.ccCopySourceFileType, row), 'i', '4'],
      ...[at(copy.ccCopyEntryRowStatus, row), 'i', '4'],
    ]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /inconsistentValue/);
    const after = await runTool('snmpget', [...requestArguments(lab.security), '-m', '', '-Oqv', lab.target, at(copy.ccCopyState, row)]);
    assert.match(after.stdout, /No Such Instance/);
    // createAndWait, then the rest, then active: the other documented way; here to running→startup, which needs no file.
    for (const varbinds of [
      [at(copy.ccCopyEntryRowStatus, row), 'i', '5'],
      [at(copy.ccCopySourceFileType, row), 'i', '4', at(copy.ccCopyDestFileType, row), 'i', '3'],
      [at(copy.ccCopyEntryRowStatus, row), 'i', '1'],
    ]) {
      const step = await runTool('snmpset', [...requestArguments(lab.security), '-m', '', lab.target, ...varbinds]);
      assert.equal(step.code, 0, step.stderr);
    }
    assert.deepEqual(await lab.get(at(copy.ccCopyState, row)), ['3']);
    const change = await runTool('snmpset', [...requestArguments(lab.security), '-m', '', lab.target, at(copy.ccCopyFileName, row), 's', 'other']);
    assert.notEqual(change.code, 0, 'an active row cannot be changed');
    assert.deepEqual(await readdir(lab.root).then((files) => files.includes('other')), false);
  });
});
