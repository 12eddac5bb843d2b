// A VRP reload names the image it boots. A manager that repeats a reboot order after the device already
// restarted on its new software (its schedule row lost with the restart, or a second operation index)
// must restart it on that same software, never on the other image: the previous software.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { family } from '../../src/families/families.ts';
import type { FamilyDriver } from '../../src/families/family.ts';
import type { OperationType } from '../../src/protocol/vocabulary.ts';
import { SnmpSession } from '../../src/protocol/snmp/session.ts';
import { type FamilyInterop, startFamilyInterop } from '../helpers/family-interop.ts';
import { netSnmpMissing, snmptrapdMissing } from '../helpers/net-snmp-tools.ts';
import { pollFor } from '../helpers/snmp-device.ts';

describe('VRP reloads ordered by bank', { skip: netSnmpMissing || snmptrapdMissing }, () => {
  let lab: FamilyInterop;
  let session: SnmpSession;
  let driver: FamilyDriver;

  before(async () => {
    lab = await startFamilyInterop('huawei', 'AR2220', 8, { 'ar2220-2.0.0.cc': '2.0.0' });
    const [address, port] = lab.target.split(':');
    session = new SnmpSession({ peer: { address: address!, port: Number(port) }, security: lab.security, timeoutMs: 500, retries: 1 });
    driver = family('huawei').driver(session);
  });

  after(async () => {
    session?.close();
    await lab?.stop();
  });

  const ended = (index: number, type: OperationType) =>
    pollFor(
      async () => {
        const row = await driver.readOperation(index, type).catch(() => undefined);
        return row && (row.state === 'successful' || row.state === 'failed') ? row.state : undefined;
      },
      300,
      100,
    );
  const answering = () => pollFor(() => driver.read().catch(() => undefined), 300, 100);

  test('a reboot order repeated after the restart boots the new software again, not the old', async () => {
    const first = await answering();
    assert.equal(first.runningVersion, '1.0.0');
    assert.equal(first.activeBank, 'bankA');

    await driver.startOperation(4001, {
      type: 'downloadSoftware',
      protocol: 'tftp',
      server: { address: '127.0.0.1', port: lab.tftp.port },
      fileName: 'ar2220-2.0.0.cc',
    });
    assert.equal(await ended(4001, 'downloadSoftware'), 'successful');

    await driver.startOperation(4002, { type: 'reboot', bootBank: 'bankB' });
    assert.equal(await ended(4002, 'reboot'), 'successful');
    const upgraded = await answering();
    assert.deepEqual([upgraded.runningVersion, upgraded.activeBank], ['2.0.0', 'bankB']);

    // The same order again, where the device holds no row of it: what a replayed step finds after a
    // restart that lost the schedule.
    await driver.startOperation(4003, { type: 'reboot', bootBank: 'bankB' });
    assert.equal(await ended(4003, 'reboot'), 'successful');
    const again = await answering();
    assert.deepEqual([again.runningVersion, again.activeBank], ['2.0.0', 'bankB'], 'still the new software after the repeated order');
  });
});
