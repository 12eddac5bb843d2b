// The inventory's record of what a device reported, on a real PostgreSQL: a run's repeated readings
// that change nothing write nothing until "last seen" is old; any change, or an operator's refresh,
// is written at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeviceReading } from '../../src/families/family.ts';
import { temporaryDatabase } from '../helpers/temporary-database.ts';

const postgres = temporaryDatabase('readings');

const reading: DeviceReading = {
  model: 'IAD-2400',
  serial: 'SN1',
  runningVersion: '1.0.0',
  previousVersion: '',
  activeBank: 'bankA',
  nextBootBank: 'bankA',
  configFormat: 1,
  configDigest: 'aa'.repeat(32),
  rebootRequired: true,
  lastBootCause: 'powerOn',
  banks: [
    { bank: 'bankA', state: 'valid', version: '1.0.0', configFormat: 1 },
    { bank: 'bankB', state: 'empty', version: '', configFormat: 0 },
  ],
};

async function lastSeen(id: number): Promise<Date | null> {
  return (await postgres.store.devices.get(id))!.lastSeenAt;
}

test("a run's readings write only what changed, or a 'last seen' that has grown old", async () => {
  const { id } = await postgres.store.devices.add(
    { name: 'iad-r1', address: '127.0.0.1', port: 16101, security: { version: 'v2c', community: 'public' }, tags: [] },
    { action: 'device.add', actor: 'operator:tester' },
  );
  const lazily = { unlessSeenWithinMs: 60_000 };

  const first = await postgres.store.devices.recordReading(id, reading, lazily);
  assert.equal(first?.runningVersion, '1.0.0', 'never seen: written');
  const seen = await lastSeen(id);

  assert.equal(await postgres.store.devices.recordReading(id, reading, lazily), undefined, 'the same reading soon after: nothing written');
  assert.deepEqual(await lastSeen(id), seen);

  const upgraded = { ...reading, runningVersion: '2.0.0', activeBank: 'bankB' as const };
  assert.equal((await postgres.store.devices.recordReading(id, upgraded, lazily))?.runningVersion, '2.0.0', 'a change is written at once');
  const banksChanged = { ...upgraded, banks: [reading.banks[0]!, { bank: 'bankB' as const, state: 'valid' as const, version: '2.0.0', configFormat: 2 }] };
  assert.deepEqual((await postgres.store.devices.recordReading(id, banksChanged, lazily))?.banks, banksChanged.banks, 'a bank that changed is written');

  await postgres.database.pool.query(`UPDATE safeflash.devices SET last_seen_at = now() - interval '2 minutes' WHERE id = $1`, [id]);
  assert.ok(await postgres.store.devices.recordReading(id, banksChanged, lazily), "'last seen' older than the window: written again");
  assert.ok((await lastSeen(id))! > seen!);

  assert.ok(await postgres.store.devices.recordReading(id, banksChanged), 'without a window (an operator refresh): always written');
});
