// The TFTP server's memory of files it served: one read for many transfers of one file, a file
// changed in place or replaced served afresh, the budget kept, and a file too large for it streamed.
// Real files, real UDP transfers through our client; every transfer is checked by SHA-256.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MemorySink } from '../../src/protocol/tftp/block-sink.ts';
import type { DigestedBlockSource } from '../../src/protocol/tftp/block-source.ts';
import { tftpGet } from '../../src/protocol/tftp/client.ts';
import { ReadCache } from '../../src/protocol/tftp/read-cache.ts';
import { eventually, putFile, sha256, startTftpServer, tempDir, type RunningTftpServer } from '../helpers/tftp-helpers.ts';

/** Everything a source hands out, read the way the sender reads it (blocks of 512). */
async function drain(source: DigestedBlockSource): Promise<Buffer> {
  const sink = new MemorySink();
  for (;;) {
    const block = Buffer.alloc(512);
    const length = await source.readNext(block, 0, 512);
    sink.write(block.subarray(0, length));
    if (length < 512) break;
  }
  await source.close();
  return sink.contents();
}

describe('the read cache', () => {
  const dir = tempDir('safeflash-read-cache-');
  after(() => dir.remove());

  test('sixteen transfers of one file at once read it once, and each gets the file and its digest', async () => {
    const cache = new ReadCache({ maxBytes: 8 * 1024 * 1024 });
    const data = putFile(dir.path, 'shared.img', 300_000);
    const sources = await Promise.all(Array.from({ length: 16 }, () => cache.open(join(dir.path, 'shared.img'))));
    assert.deepEqual(cache.size, { files: 1, bytes: data.length });
    for (const source of sources) {
      assert.ok((await drain(source)).equals(data));
      assert.equal(source.digest(), sha256(data));
    }
  });

  test('a file written in place or replaced by a rename is read afresh', async () => {
    const cache = new ReadCache({ maxBytes: 8 * 1024 * 1024 });
    const path = join(dir.path, 'changing.img');
    const first = putFile(dir.path, 'changing.img', 4096);
    assert.ok((await drain(await cache.open(path))).equals(first));

    const second = randomBytes(first.length); // same size, same inode
    writeFileSync(path, second);
    assert.ok((await drain(await cache.open(path))).equals(second));

    const third = randomBytes(first.length);
    writeFileSync(`${path}.new`, third);
    renameSync(`${path}.new`, path);
    const source = await cache.open(path);
    assert.ok((await drain(source)).equals(third));
    assert.equal(source.digest(), sha256(third));
  });

  test('the least recently used files go first once the budget is passed', async () => {
    const cache = new ReadCache({ maxBytes: 100_000 });
    for (const name of ['a', 'b', 'c']) putFile(dir.path, `${name}.bin`, 40_000);
    await cache.open(join(dir.path, 'a.bin'));
    await cache.open(join(dir.path, 'b.bin'));
    await cache.open(join(dir.path, 'a.bin')); // a is now the most recently used
    await cache.open(join(dir.path, 'c.bin'));
    assert.deepEqual(cache.size, { files: 2, bytes: 80_000 });
    assert.deepEqual(await Promise.all(['a', 'b', 'c'].map((name) => cache.holds(join(dir.path, `${name}.bin`)))), [true, false, true]);
  });

  test('a file larger than half the budget is streamed from disk, not kept', async () => {
    const cache = new ReadCache({ maxBytes: 100_000 });
    const data = putFile(dir.path, 'large.img', 60_000);
    const source = await cache.open(join(dir.path, 'large.img'));
    assert.deepEqual(cache.size, { files: 0, bytes: 0 });
    assert.ok((await drain(source)).equals(data));
    assert.equal(source.digest(), sha256(data));
  });

  test('a cache nobody opened a file from for its idle time lets every file go', async () => {
    const cache = new ReadCache({ maxBytes: 100_000, idleMs: 50 });
    putFile(dir.path, 'idle.bin', 1000);
    await drain(await cache.open(join(dir.path, 'idle.bin')));
    assert.equal(cache.size.files, 1);
    await eventually(() => cache.size.files === 0, 'the idle cache to let its file go');
    assert.deepEqual(cache.size, { files: 0, bytes: 0 });
  });

  test('a missing file or a directory is refused and leaves nothing behind', async () => {
    const cache = new ReadCache({ maxBytes: 100_000 });
    await assert.rejects(cache.open(join(dir.path, 'nothing-here')), { code: 'ENOENT' });
    await assert.rejects(cache.open(dir.path), /not a regular file/);
    assert.deepEqual(cache.size, { files: 0, bytes: 0 });
  });
});

describe('a server serving from its read cache', () => {
  let running: RunningTftpServer;
  before(async () => {
    running = await startTftpServer({ readCacheBytes: 4 * 1024 * 1024 });
  });
  after(async () => running.stop());
  const target = (file: string) => ({ protocol: 'tftp' as const, server: '127.0.0.1', port: running.port, file, localAddress: '127.0.0.1' });

  test('serves a file many devices fetch together, then its new content once it is replaced', async () => {
    const first = putFile(running.root, 'image.bin', 200_000);
    const got = await Promise.all(Array.from({ length: 12 }, () => tftpGet(target('image.bin'))));
    for (const data of got) assert.ok(data.equals(first));

    const second = randomBytes(first.length);
    writeFileSync(join(running.root, 'image.bin.new'), second);
    renameSync(join(running.root, 'image.bin.new'), join(running.root, 'image.bin'));
    assert.ok((await tftpGet(target('image.bin'))).equals(second));

    await eventually(() => running.transfers.length === 13, 'the server records 13 transfers');
    assert.deepEqual(
      running.transfers.map((record) => record.sha256),
      [...Array.from({ length: 12 }, () => sha256(first)), sha256(second)],
    );
  });
});
