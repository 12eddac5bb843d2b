// Our FTP client against our FTP file server on the IPv6 loopback (::1): passive transfers by EPSV,
// both connections from the device's address, which the server ties each transfer to.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ftpGet, ftpPut } from '../../src/protocol/ftp/client.ts';
import { TransferError } from '../../src/protocol/transfer-contract.ts';
import { putFile, sha256, startFileServer, targetFor } from '../helpers/ftp-helpers.ts';

test('download and upload over ::1, from the device address on both connections', async () => {
  const files = await startFileServer({ address: '::1' });
  try {
    const image = putFile(files.root, 'image-6.bin', 300_000);
    const read = files.server.issueTransfer({ mode: 'read', file: 'image-6.bin', peerAddress: '::1' });
    assert.equal(sha256(await ftpGet(targetFor(files.server, read, { localAddress: '::1' }))), sha256(image));

    const backup = Buffer.from('format=1\n'.repeat(5_000));
    const write = files.server.issueTransfer({ mode: 'write', file: 'backup-6.cfg', peerAddress: '::1' });
    await ftpPut(targetFor(files.server, write, { localAddress: '::1' }), backup);
    assert.equal(sha256(readFileSync(join(files.root, 'backup-6.cfg'))), sha256(backup));
    assert.deepEqual(
      files.transfers.map((t) => [t.file, t.peerAddress, t.dataPeerAddress]),
      [
        ['image-6.bin', '::1', '::1'],
        ['backup-6.cfg', '::1', '::1'],
      ],
    );
  } finally {
    await files.stop();
  }
});

test('a client of the other family is refused before it connects', async () => {
  const files = await startFileServer({ address: '::1' });
  try {
    const read = files.server.issueTransfer({ mode: 'read', file: putFile(files.root, 'x.bin', 10) && 'x.bin' });
    await assert.rejects(
      ftpGet(targetFor(files.server, read, { localAddress: '127.0.0.1' })),
      (e: unknown) => e instanceof TransferError && /family/.test(e.message),
    );
  } finally {
    await files.stop();
  }
});
