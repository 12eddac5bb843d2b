// FTP passwords are derived from the secrets key, never kept: an offer recorded without its password
// (as a run's journal records it) is still usable after the file service restarts, with the password
// derived again from the same key; with another key the derived password does not open it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SecretBox } from '../../src/manager/secrets/secret-box.ts';
import { deviceConfig, failureOf, startFiles, startWorld, type TestWorld, uploadToOffer } from '../helpers/manager-files-helpers.ts';

let world: TestWorld;

before(async () => {
  world = await startWorld();
});

after(async () => {
  await world?.remove();
});

test('an FTP upload offer recorded without its password works after a restart with the same key, not with another', { timeout: 60_000 }, async () => {
  const key = randomBytes(32);
  const box = new SecretBox(key);
  const dataDir = join(world.dir, 'replay');
  const first = await startFiles(world, { dataDir, transferPassword: (user) => box.transferPassword(user) });
  const ports = { tftp: first.endpoint('tftp').port, ftp: first.endpoint('ftp').port };
  // What the journal keeps of each offer: everything but the password.
  const journaled = [];
  for (let i = 0; i < 2; i++) {
    const issued = await first.expectBackup('ftp');
    assert.ok(issued.username && issued.password);
    assert.equal(issued.password, box.transferPassword(issued.username), 'the password handed out is the derived one');
    const { password: _handedOut, ...kept } = issued;
    journaled.push(kept);
  }
  await first.close();

  const restart = (with_: SecretBox) =>
    startFiles(world, {
      dataDir,
      tftp: { address: '127.0.0.1', port: ports.tftp },
      ftp: { address: '127.0.0.1', port: ports.ftp },
      transferPassword: (user) => with_.transferPassword(user),
    });

  const same = await restart(new SecretBox(Buffer.from(key)));
  try {
    const offer = journaled[0]!;
    await uploadToOffer({ ...offer, password: same.transferPassword(offer.username!) }, deviceConfig('SN-replayed'));
    const backup = await same.collectBackup(offer, { deviceId: world.deviceId, runId: 'run-replayed' });
    assert.equal(backup.kind, 'backup');
  } finally {
    await same.close();
  }

  const other = await restart(new SecretBox(randomBytes(32)));
  try {
    const offer = journaled[1]!;
    assert.equal(await failureOf(uploadToOffer({ ...offer, password: other.transferPassword(offer.username!) }, deviceConfig('SN-wrong'))), 'accessDenied');
  } finally {
    await other.close();
  }
});
