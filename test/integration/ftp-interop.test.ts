// FTP with programs nobody here wrote: curl as the client of our file server, vsftpd as the
// server for our client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ftpGet, ftpPut } from '../../src/protocol/ftp/client.ts';
import { TransferError } from '../../src/protocol/transfer-contract.ts';
import { findProgram, missing } from '../helpers/tools.ts';
import { entriesOf, putFile, sha256, startFileServer, startVsftpd, tempDir } from '../helpers/ftp-helpers.ts';

const run = promisify(execFile);

/** curl's exit code, or 0; curl exits 67 when the server refused the login. */
async function curl(...args: string[]): Promise<number> {
  try {
    await run('curl', ['--silent', '--show-error', '--max-time', '20', ...args]);
    return 0;
  } catch (error) {
    return (error as { code?: number }).code ?? -1;
  }
}

for (const mode of ['EPSV', 'PASV'] as const) {
  test(`curl (${mode}) downloads and uploads through our file server with issued credentials`, { skip: missing('curl') }, async () => {
    const files = await startFileServer();
    const local = tempDir();
    try {
      const passive = mode === 'PASV' ? ['--disable-epsv'] : [];
      const image = putFile(files.root, 'image.bin', 300_000);
      const read = files.server.issueTransfer({ mode: 'read', file: 'image.bin' });
      const url = (file: string) => `ftp://${files.server.address}:${files.server.port}/${file}`;
      const received = join(local.path, 'received.bin');
      assert.equal(
        await curl(...passive, '--interface', '127.0.0.9', '--user', `${read.username}:${read.password}`, '--output', received, url('image.bin')),
        0,
      );
      assert.equal(sha256(readFileSync(received)), sha256(image));

      const backup = Buffer.from('format=3\nhostname=iad-9\n');
      const sent = join(local.path, 'backup.cfg');
      writeFileSync(sent, backup);
      const write = files.server.issueTransfer({ mode: 'write', file: 'backup-iad-9.cfg' });
      assert.equal(await curl(...passive, '--user', `${write.username}:${write.password}`, '--upload-file', sent, url('backup-iad-9.cfg')), 0);
      assert.deepEqual(readFileSync(join(files.root, 'backup-iad-9.cfg')), backup);

      assert.deepEqual(
        files.transfers.map(({ file, direction, bytes, sha256, peerAddress, dataPeerAddress }) => ({
          file,
          direction,
          bytes,
          sha256,
          peerAddress,
          dataPeerAddress,
        })),
        [
          { file: 'image.bin', direction: 'read', bytes: image.length, sha256: sha256(image), peerAddress: '127.0.0.9', dataPeerAddress: '127.0.0.9' },
          {
            file: 'backup-iad-9.cfg',
            direction: 'write',
            bytes: backup.length,
            sha256: sha256(backup),
            peerAddress: '127.0.0.1',
            dataPeerAddress: '127.0.0.1',
          },
        ],
      );
      // Used credentials, and no credentials at all, are refused at login.
      assert.equal(await curl(...passive, '--user', `${read.username}:${read.password}`, '--output', received, url('image.bin')), 67);
      assert.equal(await curl(...passive, '--output', received, url('image.bin')), 67);
      assert.deepEqual(entriesOf(files.root), ['backup-iad-9.cfg', 'image.bin']);
    } finally {
      local.remove();
      await files.stop();
    }
  });
}

const vsftpd = findProgram('vsftpd');

test('our client downloads from and uploads to vsftpd, leaving from the device address', { skip: missing('vsftpd') }, async () => {
  const server = await startVsftpd(vsftpd!);
  try {
    const image = putFile(server.root, 'image.bin', 500_000);
    // vsftpd refuses a data connection from another address than the control one (pasv_promiscuous=NO),
    // so these transfers only work if both connections leave from 127.0.0.7.
    const target = { protocol: 'ftp', server: '127.0.0.1', port: server.port, username: 'anonymous', password: 'device@', localAddress: '127.0.0.7' } as const;
    let lastProgress: [number, number | undefined] | undefined;
    const data = await ftpGet({ ...target, file: 'image.bin', onProgress: (bytes, total) => (lastProgress = [bytes, total]) });
    assert.equal(sha256(data), sha256(image));
    assert.deepEqual(lastProgress, [image.length, image.length]);

    const backup = Buffer.alloc(123_457, 0x5a);
    await ftpPut({ ...target, file: 'backup.cfg' }, backup);
    assert.equal(sha256(readFileSync(join(server.root, 'backup.cfg'))), sha256(backup));
    assert.match(server.log(), /OK DOWNLOAD: Client "127\.0\.0\.7", "[^"]*\/image\.bin", 500000 bytes/);
    assert.match(server.log(), /OK UPLOAD: Client "127\.0\.0\.7", "[^"]*\/backup\.cfg", 123457 bytes/);

    await assert.rejects(ftpGet({ ...target, file: 'missing.bin' }), (error: unknown) => error instanceof TransferError && error.failure === 'fileNotFound');
    await assert.rejects(
      ftpGet({ ...target, file: 'image.bin', maxBytes: image.length - 1 }),
      (error: unknown) => error instanceof TransferError && error.failure === 'tooLarge',
    );
  } finally {
    await server.stop();
  }
});

test('vsftpd refusing a login is accessDenied for our client', { skip: missing('vsftpd') }, async () => {
  const server = await startVsftpd(vsftpd!);
  try {
    putFile(server.root, 'image.bin', 10);
    // Local users are disabled in this instance, so any non-anonymous login is refused with 530.
    const target = { protocol: 'ftp', server: '127.0.0.1', port: server.port, username: 'root', password: 'x', file: 'image.bin' } as const;
    await assert.rejects(ftpGet(target), (error: unknown) => error instanceof TransferError && error.failure === 'accessDenied');
  } finally {
    await server.stop();
  }
});
