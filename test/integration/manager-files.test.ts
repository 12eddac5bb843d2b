// The manager's file service over real TFTP and FTP on loopback, with an embedded PostgreSQL:
// images verified before they are kept, offers single-use, unguessable and short-lived, the store
// out of every server's reach, backups collected once whatever happens, offers honoured after a restart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { ImageError } from '../../src/protocol/image.ts';
import { configDigest } from '../../src/protocol/config.ts';
import { generateKeyPair } from '../../src/protocol/keys.ts';
import { BackupError, type ManagerFiles, type FileOffer } from '../../src/manager/files/manager-files.ts';
import { checkConfigFile } from '../../src/manager/files/backup-check.ts';
import {
  deviceConfig,
  expiredOnce,
  failureOf,
  fetchOffer,
  signedImage,
  startFiles,
  startWorld,
  uploadToOffer,
  usedOnce,
  type TestWorld,
} from '../helpers/manager-files-helpers.ts';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const timeout = 30_000;

let world: TestWorld;
let files: ManagerFiles;
let dataDir: string;
let image: Buffer;

before(async () => {
  world = await startWorld();
  dataDir = join(world.dir, 'main');
  files = await startFiles(world, { dataDir });
  image = signedImage(world.vendor.privateKey);
});

after(async () => {
  await files?.close();
  await world?.remove();
});

const storedImages = () => readdirSync(join(dataDir, 'files', 'images')).sort();
const storedConfigs = () => readdirSync(join(dataDir, 'files', 'configs')).sort();
const servedFiles = (protocol: 'tftp' | 'ftp') => readdirSync(join(dataDir, 'files', 'served', protocol)).sort();

async function imageError(work: Promise<unknown>): Promise<string> {
  await assert.rejects(work, ImageError);
  return work.then(
    () => 'none',
    (error: ImageError) => error.reason,
  );
}

async function backupError(work: Promise<unknown>): Promise<string> {
  await assert.rejects(work, BackupError);
  return work.then(
    () => 'none',
    (error: BackupError) => error.reason,
  );
}

describe('images', () => {
  test('a signed image is verified, stored under its SHA-256 and recorded once', { timeout }, async () => {
    const record = await files.addImage(image);
    assert.equal(record.sha256, sha256(image));
    assert.deepEqual([record.model, record.version, record.configFormat, record.size], ['IAD-2400', '4.2.0', 2, image.length]);
    assert.deepEqual(storedImages(), [`${record.sha256}.sfimg`]);
    const again = await files.addImage(Buffer.from(image));
    assert.deepEqual(again, record);
    assert.deepEqual(
      (await files.listImages()).map((listed) => listed.sha256),
      [record.sha256],
    );
    assert.deepEqual(await files.image(record.sha256), record);
    assert.equal((await files.imageHeader(record.sha256)).version, '4.2.0');
  });

  test('tampered, truncated and foreign-signed images are refused and nothing is stored', { timeout }, async () => {
    const before = storedImages();
    const tampered = Buffer.from(image);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 200) ^ 0x01, tampered.length - 200); // a payload byte
    assert.equal(await imageError(files.addImage(tampered)), 'corrupt');
    assert.equal(await imageError(files.addImage(image.subarray(0, image.length - 10))), 'truncated');
    assert.equal(await imageError(files.addImage(signedImage(generateKeyPair().privateKey, 1000))), 'untrustedKey');
    const badSignature = Buffer.from(image);
    badSignature.writeUInt8(badSignature.readUInt8(badSignature.length - 1) ^ 0x80, badSignature.length - 1);
    assert.equal(await imageError(files.addImage(badSignature)), 'badSignature');
    assert.equal(await imageError(files.addImage(Buffer.from('not an image at all'))), 'notAnImage');
    assert.deepEqual(storedImages(), before);
    assert.equal((await files.listImages()).length, 1);
  });

  test('offers of unknown images, malformed digests and unknown protocols are refused', { timeout }, async () => {
    await assert.rejects(files.offerImage('0'.repeat(64), 'tftp'), /no image/);
    await assert.rejects(files.offerImage('../images/x', 'tftp'), /no image/);
    await assert.rejects(files.offerImage(sha256(image), 'http' as 'tftp'), /protocol must be tftp or ftp/);
    await assert.rejects(files.offerConfig(sha256(image), 'tftp'), /no configuration/);
    assert.deepEqual(servedFiles('tftp'), []);
  });
});

describe('read offers', () => {
  test('a TFTP image offer serves the image once, then is gone', { timeout }, async () => {
    const offer = await files.offerImage(sha256(image), 'tftp');
    assert.equal(offer.protocol, 'tftp');
    assert.deepEqual(offer.server, files.endpoint('tftp'));
    assert.match(offer.fileName, /^image-[0-9a-f]{32}\.sfimg$/);
    assert.equal(offer.fileName.includes(sha256(image)), false);
    assert.deepEqual(servedFiles('tftp'), [offer.fileName]);
    const used = usedOnce(files, offer);
    const before = files.bytesServed.tftp;
    assert.ok((await fetchOffer(offer)).equals(image));
    assert.deepEqual(await used, { direction: 'read', bytes: image.length });
    assert.equal(files.bytesServed.tftp - before, image.length);
    assert.deepEqual(servedFiles('tftp'), []);
    assert.equal(await failureOf(fetchOffer(offer)), 'fileNotFound');
    assert.deepEqual(storedImages(), [`${sha256(image)}.sfimg`], 'the store keeps the image');
  });

  test('an FTP image offer works with its own credentials only, and one login spends them', { timeout }, async () => {
    const offer = await files.offerImage(sha256(image), 'ftp');
    assert.ok(offer.username && offer.password);
    // The database keeps the password's digest, never the password.
    const row = await world.database.pool.query<{ password: string | null; password_sha256: string }>(
      'SELECT password, password_sha256 FROM safeflash.file_offers WHERE file_name = $1',
      [offer.fileName],
    );
    assert.deepEqual(row.rows, [{ password: null, password_sha256: createHash('sha256').update(offer.password).digest('hex') }]);
    const other = await files.offerImage(sha256(image), 'ftp');
    assert.notEqual(offer.fileName, other.fileName);
    assert.notEqual(offer.username, other.username);
    // The other offer's credentials do not open this offer's file, and that login spent them.
    assert.equal(await failureOf(fetchOffer({ ...other, fileName: offer.fileName })), 'fileNotFound');
    assert.equal(await failureOf(fetchOffer(other)), 'accessDenied');
    const used = usedOnce(files, offer);
    const before = files.bytesServed.ftp;
    assert.ok((await fetchOffer(offer)).equals(image));
    await used;
    assert.equal(files.bytesServed.ftp - before, image.length);
    assert.equal(servedFiles('ftp').includes(offer.fileName), false, 'a served offer is removed');
    assert.equal(await failureOf(fetchOffer(offer)), 'accessDenied');
  });

  test('the store is out of reach of both servers', { timeout }, async () => {
    const digest = sha256(image);
    const storeNames = [
      `${digest}.sfimg`,
      `../../images/${digest}.sfimg`,
      `../images/${digest}.sfimg`,
      `images/${digest}.sfimg`,
      `/${join(dataDir, 'files', 'images', `${digest}.sfimg`)}`,
    ];
    const tftpOffer = await files.offerImage(digest, 'tftp');
    for (const name of storeNames) {
      const failure = await failureOf(fetchOffer({ ...tftpOffer, fileName: name }));
      assert.ok(failure === 'fileNotFound' || failure === 'accessDenied', `${name}: ${failure}`);
    }
    for (const name of storeNames) {
      // Each FTP login spends its credentials, so each attempt gets its own offer.
      const failure = await failureOf(fetchOffer(await files.offerImage(digest, 'ftp'), name));
      assert.ok(failure === 'fileNotFound' || failure === 'accessDenied', `${name}: ${failure}`);
    }
    // Refused names do not spend a TFTP offer: it still serves its own file.
    const used = usedOnce(files, tftpOffer);
    assert.ok((await fetchOffer(tftpOffer)).equals(image));
    await used;
  });

  test('a manager that never received an image offers it to many runs at once: every offer is made and serves the image', { timeout }, async () => {
    // A campaign's runs start together on a manager whose disk does not have the image yet: all of
    // them take it from the shared store at the same moment.
    const digest = (await files.addImage(image)).sha256;
    const other = await startFiles(world, { dataDir: join(world.dir, 'cold') });
    try {
      const offers = await Promise.allSettled(Array.from({ length: 64 }, () => other.offerImage(digest, 'tftp')));
      const refused = offers.flatMap((offer) => (offer.status === 'rejected' ? [String(offer.reason)] : []));
      assert.deepEqual(refused, [], 'no offer failed');
      const first = (offers[0] as PromiseFulfilledResult<FileOffer>).value;
      const used = usedOnce(other, first);
      assert.ok((await fetchOffer(first)).equals(image));
      await used;
      assert.deepEqual(readdirSync(join(world.dir, 'cold', 'files', 'images')), [`${digest}.sfimg`], 'cached once, no leftovers');
    } finally {
      await other.close();
    }
  });
});

describe('backups', () => {
  for (const protocol of ['tftp', 'ftp'] as const) {
    test(`a ${protocol.toUpperCase()} upload is collected once into the store, and collecting again gives the same record`, { timeout }, async () => {
      const config = deviceConfig(`SN-${protocol}`);
      const offer = await files.expectBackup(protocol);
      assert.match(offer.fileName, /^backup-.*[0-9a-f]{32}\.cfg$/);
      const arrived = usedOnce(files, offer);
      await uploadToOffer(offer, config);
      assert.deepEqual(await arrived, { direction: 'write', bytes: config.length });
      const record = await files.collectBackup(offer, { deviceId: world.deviceId, runId: 'run-1' });
      assert.deepEqual(
        [record.sha256, record.deviceId, record.runId, record.kind, record.derivedFrom, record.configFormat, record.configDigest, record.size],
        [sha256(config), world.deviceId, 'run-1', 'backup', null, 1, configDigest(config), config.length],
      );
      assert.deepEqual(await files.collectBackup(offer, { deviceId: world.deviceId, runId: 'run-1' }), record);
      assert.ok((await files.readBackup(record.sha256)).equals(config));
      assert.ok(storedConfigs().includes(`${record.sha256}.cfg`));
      assert.equal(servedFiles(protocol).includes(offer.fileName), false, 'the upload is no longer served');
      assert.ok((await files.listBackups(world.deviceId)).some((listed) => listed.sha256 === record.sha256));
      // The name was good for one upload.
      assert.notEqual(await failureOf(uploadToOffer(offer, config)), undefined);
    });
  }

  test('garbage, empty and missing uploads are refused, the same way every time, and nothing is stored', { timeout }, async () => {
    const configsBefore = storedConfigs();
    const backupsBefore = await files.listBackups(world.deviceId);
    const owner = { deviceId: world.deviceId, runId: 'run-2' };

    const garbage = await files.expectBackup('tftp');
    await uploadToOffer(garbage, Buffer.from('this is not a configuration\n'));
    assert.equal(await backupError(files.collectBackup(garbage, owner)), 'unparsable');
    assert.equal(await backupError(files.collectBackup(garbage, owner)), 'unparsable');
    assert.equal(servedFiles('tftp').includes(garbage.fileName), false, 'a refused upload is no longer served');
    assert.ok(readdirSync(join(dataDir, 'files', 'rejected')).includes(`tftp-${garbage.fileName}`), 'but kept aside');

    const wrongHeader = await files.expectBackup('ftp');
    await uploadToOffer(wrongHeader, Buffer.concat([Buffer.from('#!safeflash-config format=9 model=IAD-2400 serial=X\n'), deviceConfig().subarray(60)]));
    assert.equal(await backupError(files.collectBackup(wrongHeader, owner)), 'unparsable');

    const empty = await files.expectBackup('tftp');
    await uploadToOffer(empty, Buffer.alloc(0));
    assert.equal(await backupError(files.collectBackup(empty, owner)), 'empty');

    const neverUploaded = await files.expectBackup('ftp');
    assert.equal(await backupError(files.collectBackup(neverUploaded, owner)), 'missing');
    const invented: FileOffer = { ...neverUploaded, fileName: 'backup-00000000000000000000000000000000.cfg' };
    assert.equal(await backupError(files.collectBackup(invented, owner)), 'missing');
    const readOffer = await files.offerImage(sha256(image), 'tftp');
    assert.equal(await backupError(files.collectBackup(readOffer, owner)), 'missing', 'a read offer is not an upload');

    assert.deepEqual(storedConfigs(), configsBefore);
    assert.deepEqual(await files.listBackups(world.deviceId), backupsBefore);
  });

  test('an upload beyond the cap is refused by the server; the cap is checked again at collection', { timeout }, async () => {
    const capped = await startFiles(world, { maxBackupBytes: 1000 });
    try {
      const offer = await capped.expectBackup('tftp');
      assert.equal(await failureOf(uploadToOffer(offer, deviceConfig('SN-big'))), 'tooLarge');
      assert.equal(await backupError(capped.collectBackup(offer, { deviceId: world.deviceId, runId: null })), 'missing');
    } finally {
      await capped.close();
    }
    assert.throws(
      () => checkConfigFile(deviceConfig(), 100, 'the file'),
      (error: BackupError) => error.reason === 'tooLarge',
    );
  });

  test('migrated and operator configurations are checked, stored with their origin, and can be offered', { timeout }, async () => {
    const original = deviceConfig('SN-migrate', 1);
    const upload = await files.expectBackup('tftp');
    await uploadToOffer(upload, original);
    const backup = await files.collectBackup(upload, { deviceId: world.deviceId, runId: 'run-3' });
    const migrated = deviceConfig('SN-migrate', 2);
    const record = await files.storeConfig(migrated, { deviceId: world.deviceId, runId: 'run-3', kind: 'migrated', derivedFrom: backup.sha256 });
    assert.deepEqual([record.kind, record.derivedFrom, record.configFormat], ['migrated', backup.sha256, 2]);
    assert.equal(
      await backupError(files.storeConfig(Buffer.from('nonsense'), { deviceId: world.deviceId, runId: null, kind: 'operator', derivedFrom: null })),
      'unparsable',
    );
    await assert.rejects(
      files.storeConfig(migrated, { deviceId: world.deviceId, runId: null, kind: 'operator', derivedFrom: 'f'.repeat(64) }),
      /no configuration/,
    );
    for (const protocol of ['tftp', 'ftp'] as const) {
      const offer = await files.offerConfig(record.sha256, protocol);
      assert.match(offer.fileName, /^config-[0-9a-f]{32}\.cfg$/);
      const used = usedOnce(files, offer);
      assert.ok((await fetchOffer(offer)).equals(migrated));
      await used;
    }
    assert.ok((await files.readBackup(backup.sha256)).equals(original), 'the original backup is untouched');
  });
});

describe('expiry', () => {
  test('offers not used in time are withdrawn: read names, upload names and FTP credentials', { timeout }, async () => {
    const shortLived = await startFiles(world, { offerTtlMs: 300 });
    try {
      const sha = (await shortLived.addImage(image)).sha256;
      const offers = [
        await shortLived.offerImage(sha, 'tftp'),
        await shortLived.offerImage(sha, 'ftp'),
        await shortLived.expectBackup('tftp'),
        await shortLived.expectBackup('ftp'),
      ];
      await Promise.all(offers.map((offer) => expiredOnce(shortLived, offer)));
      assert.equal(await failureOf(fetchOffer(offers[0]!)), 'fileNotFound');
      assert.equal(await failureOf(fetchOffer(offers[1]!)), 'accessDenied');
      assert.equal(await failureOf(uploadToOffer(offers[2]!, deviceConfig())), 'accessDenied');
      assert.equal(await failureOf(uploadToOffer(offers[3]!, deviceConfig())), 'accessDenied');
      assert.equal(await backupError(shortLived.collectBackup(offers[2]!, { deviceId: world.deviceId, runId: null })), 'missing');
    } finally {
      await shortLived.close();
    }
  });
});

describe('restart', () => {
  test('offers issued before a restart work after it, with the same names and credentials; used ones stay used', { timeout }, async () => {
    const dir = join(world.dir, 'restarted');
    const first = await startFiles(world, { dataDir: dir });
    const ports = { tftp: first.endpoint('tftp').port, ftp: first.endpoint('ftp').port };
    const sha = (await first.addImage(image)).sha256;
    const reads = [await first.offerImage(sha, 'tftp'), await first.offerImage(sha, 'ftp')];
    const uploads = [await first.expectBackup('tftp'), await first.expectBackup('ftp')];
    const spent = await first.offerImage(sha, 'tftp');
    const used = usedOnce(first, spent);
    await fetchOffer(spent);
    await used;
    // An upload that arrived but was not collected before the restart.
    const arrivedBefore = await first.expectBackup('ftp');
    const arrived = usedOnce(first, arrivedBefore);
    await uploadToOffer(arrivedBefore, deviceConfig('SN-before'));
    await arrived;
    // An upload collected before the restart: collecting again after it (a replayed step) is harmless.
    const collectedBefore = await first.expectBackup('tftp');
    await uploadToOffer(collectedBefore, deviceConfig('SN-collected'));
    const collected = await first.collectBackup(collectedBefore, { deviceId: world.deviceId, runId: 'run-4' });
    // An upload that arrived just before a crash, so its arrival was never recorded.
    const unrecorded = await first.expectBackup('tftp');
    const landed = usedOnce(first, unrecorded);
    await uploadToOffer(unrecorded, deviceConfig('SN-unrecorded'));
    await landed;
    await first.close();
    await world.database.pool.query(`UPDATE safeflash.file_offers SET state = 'open', bytes = NULL WHERE file_name = $1`, [unrecorded.fileName]);
    // Leftovers of a crash: a partial upload, and a served file whose offer was never recorded.
    writeFileSync(join(dir, 'files', 'served', 'tftp', `.${uploads[0]!.fileName}.0123456789ab.part`), 'partial');
    writeFileSync(join(dir, 'files', 'served', 'ftp', 'image-00000000000000000000000000000000.sfimg'), 'stray');

    const second = await startFiles(world, {
      dataDir: dir,
      tftp: { address: '127.0.0.1', port: ports.tftp },
      ftp: { address: '127.0.0.1', port: ports.ftp },
    });
    try {
      for (const offer of reads) {
        const served = usedOnce(second, offer);
        assert.ok((await fetchOffer(offer)).equals(image), `${offer.protocol} read after restart`);
        await served;
      }
      assert.equal(await failureOf(fetchOffer(spent)), 'fileNotFound');
      for (const [index, offer] of uploads.entries()) {
        const config = deviceConfig(`SN-restart-${index}`);
        await uploadToOffer(offer, config);
        const record = await second.collectBackup(offer, { deviceId: world.deviceId, runId: 'run-4' });
        assert.equal(record.sha256, sha256(config));
      }
      const early = await second.collectBackup(arrivedBefore, { deviceId: world.deviceId, runId: 'run-4' });
      assert.equal(early.sha256, sha256(deviceConfig('SN-before')));
      assert.deepEqual(await second.collectBackup(collectedBefore, { deviceId: world.deviceId, runId: 'run-4' }), collected);
      const late = await second.collectBackup(unrecorded, { deviceId: world.deviceId, runId: 'run-4' });
      assert.equal(late.sha256, sha256(deviceConfig('SN-unrecorded')));
      assert.notEqual(await failureOf(uploadToOffer(unrecorded, deviceConfig())), undefined, 'an arrived upload is not accepted again');
      assert.deepEqual(readdirSync(join(dir, 'files', 'served', 'tftp')), []);
      assert.deepEqual(readdirSync(join(dir, 'files', 'served', 'ftp')), []);
      assert.ok(existsSync(join(dir, 'files', 'images', `${sha}.sfimg`)));
    } finally {
      await second.close();
    }
  });
});
