// writeFileAtomic, flushed and not: the directory made, the file replaced whole, nothing left behind.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeFileAtomic } from '../../src/common/atomic-file.ts';

const size = 5_000;

for (const flush of [true, false]) {
  test(`writeFileAtomic (flush ${flush}) makes the directory, replaces the file whole, leaves no temporary file`, async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'sf-atomic-'));
    t.after(() => rm(root, { recursive: true, force: true }));
    const path = join(root, 'deeper', 'state.json');
    const first = Buffer.alloc(size, 'a');
    const second = Buffer.alloc(size + 7, 'b');

    await writeFileAtomic(path, first, { flush });
    assert.deepEqual(await readFile(path), first);
    await writeFileAtomic(path, second, { flush, mode: 0o600 });
    assert.deepEqual(await readFile(path), second);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(join(root, 'deeper')), ['state.json']);
  });

  test(`writeFileAtomic (flush ${flush}) that cannot replace its target fails and leaves nothing behind`, async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'sf-atomic-'));
    t.after(() => rm(root, { recursive: true, force: true }));
    // A directory in the target's place: the rename fails after the temporary file was written.
    const path = join(root, 'state.json');
    await mkdir(join(path, 'inside'), { recursive: true });

    await assert.rejects(writeFileAtomic(path, Buffer.alloc(size, 'c'), { flush }), /EISDIR|ENOTEMPTY|EEXIST/);
    assert.deepEqual(await readdir(root), ['state.json']);
    assert.deepEqual(await readdir(path), ['inside']);
  });
}
