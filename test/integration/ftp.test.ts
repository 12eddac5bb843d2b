// Our FTP client against our FTP file server, over real sockets on loopback addresses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { ftpGet, ftpPut } from '../../src/protocol/ftp/client.ts';
import { TransferError, type TransferFailure } from '../../src/protocol/transfer-contract.ts';
import { entriesOf, freePort, putFile, sha256, startFileServer, targetFor } from '../helpers/ftp-helpers.ts';

const deviceAddress = '127.0.0.7';

async function failureOf(transfer: Promise<unknown>): Promise<TransferFailure> {
  const error = await transfer.then(
    () => assert.fail('the transfer should have failed'),
    (error: unknown) => error,
  );
  assert.ok(error instanceof TransferError, `expected a TransferError, got ${String(error)}`);
  return error.failure;
}

test('download: bytes and SHA-256 arrive intact, from the device address on both connections', async () => {
  const files = await startFileServer();
  try {
    const image = putFile(files.root, 'image-4.2.bin', 700_000);
    const credentials = files.server.issueTransfer({ mode: 'read', file: 'image-4.2.bin' });
    const progress: Array<[number, number | undefined]> = [];
    const data = await ftpGet(
      targetFor(files.server, credentials, { localAddress: deviceAddress, onProgress: (bytes, total) => progress.push([bytes, total]) }),
    );
    assert.equal(sha256(data), sha256(image));
    assert.deepEqual(progress.at(-1), [image.length, image.length]);
    assert.deepEqual(files.transfers, [
      {
        file: 'image-4.2.bin',
        direction: 'read',
        bytes: image.length,
        sha256: sha256(image),
        username: credentials.username,
        peerAddress: deviceAddress,
        dataPeerAddress: deviceAddress,
      },
    ]);
  } finally {
    await files.stop();
  }
});

test('upload: the issued name holds exactly the bytes sent, and no temporary file is left', async () => {
  const files = await startFileServer();
  try {
    const backup = Buffer.from('format=3\n'.repeat(20_000));
    const credentials = files.server.issueTransfer({ mode: 'write', file: 'backup-dev1-7f3a.cfg' });
    let lastProgress: [number, number | undefined] | undefined;
    await ftpPut(targetFor(files.server, credentials, { localAddress: deviceAddress, onProgress: (bytes, total) => (lastProgress = [bytes, total]) }), backup);
    assert.equal(sha256(readFileSync(join(files.root, 'backup-dev1-7f3a.cfg'))), sha256(backup));
    assert.deepEqual(entriesOf(files.root), ['backup-dev1-7f3a.cfg']);
    assert.deepEqual(lastProgress, [backup.length, backup.length]);
    assert.equal(files.transfers.length, 1);
    assert.deepEqual(
      { ...files.transfers[0] },
      {
        file: 'backup-dev1-7f3a.cfg',
        direction: 'write',
        bytes: backup.length,
        sha256: sha256(backup),
        username: credentials.username,
        peerAddress: deviceAddress,
        dataPeerAddress: deviceAddress,
      },
    );
  } finally {
    await files.stop();
  }
});

test('a wrong password is accessDenied and writes nothing', async () => {
  const files = await startFileServer();
  try {
    const credentials = files.server.issueTransfer({ mode: 'write', file: 'backup.cfg' });
    const wrong = { ...credentials, password: `${credentials.password}x` };
    assert.equal(await failureOf(ftpPut(targetFor(files.server, wrong), Buffer.from('config'))), 'accessDenied');
    assert.equal(await failureOf(ftpPut(targetFor(files.server, { ...credentials, username: 'anonymous' }), Buffer.from('config'))), 'accessDenied');
    assert.deepEqual(entriesOf(files.root), []);
    assert.deepEqual(files.transfers, []);
  } finally {
    await files.stop();
  }
});

test('credentials work once: the second login with them is refused', async () => {
  const files = await startFileServer();
  try {
    putFile(files.root, 'image.bin', 1000);
    const credentials = files.server.issueTransfer({ mode: 'read', file: 'image.bin' });
    await ftpGet(targetFor(files.server, credentials));
    assert.equal(await failureOf(ftpGet(targetFor(files.server, credentials))), 'accessDenied');
    assert.equal(files.transfers.length, 1);
  } finally {
    await files.stop();
  }
});

test('credentials tied to a device address are refused from another address', async () => {
  const files = await startFileServer();
  try {
    putFile(files.root, 'image.bin', 1000);
    const credentials = files.server.issueTransfer({ mode: 'read', file: 'image.bin', peerAddress: deviceAddress });
    assert.equal(await failureOf(ftpGet(targetFor(files.server, credentials, { localAddress: '127.0.0.8' }))), 'accessDenied');
    assert.equal(files.transfers.length, 0);
  } finally {
    await files.stop();
  }
});

test('any other name than the issued one is fileNotFound: path tricks, other files, absolute paths', async () => {
  const files = await startFileServer();
  try {
    putFile(files.root, 'image.bin', 1000);
    putFile(files.root, 'other.bin', 1000);
    for (const trick of ['other.bin', '../image.bin', '/image.bin', './image.bin', 'x/../image.bin', '/etc/passwd', '../../../../etc/passwd', 'IMAGE.BIN']) {
      const credentials = files.server.issueTransfer({ mode: 'read', file: 'image.bin' });
      assert.equal(await failureOf(ftpGet(targetFor(files.server, { ...credentials, file: trick }))), 'fileNotFound', trick);
    }
    assert.deepEqual(files.transfers, []);
  } finally {
    await files.stop();
  }
});

test('an upload over its cap is refused and leaves nothing behind', async () => {
  const files = await startFileServer();
  try {
    const credentials = files.server.issueTransfer({ mode: 'write', file: 'backup.cfg', maxBytes: 64 * 1024 });
    assert.equal(await failureOf(ftpPut(targetFor(files.server, credentials), Buffer.alloc(1024 * 1024, 1))), 'accessDenied');
    assert.deepEqual(entriesOf(files.root), []);
    assert.deepEqual(files.transfers, []);
  } finally {
    await files.stop();
  }
});

test('the server-wide upload limit caps what a transfer asks for', async () => {
  const files = await startFileServer({ maxUploadBytes: 1000 });
  try {
    const credentials = files.server.issueTransfer({ mode: 'write', file: 'backup.cfg', maxBytes: 1_000_000 });
    assert.equal(await failureOf(ftpPut(targetFor(files.server, credentials), Buffer.alloc(1001))), 'accessDenied');
    assert.deepEqual(entriesOf(files.root), []);
  } finally {
    await files.stop();
  }
});

test('a download larger than maxBytes is tooLarge and nothing is kept', async () => {
  const files = await startFileServer();
  try {
    putFile(files.root, 'image.bin', 10_000);
    const credentials = files.server.issueTransfer({ mode: 'read', file: 'image.bin' });
    assert.equal(await failureOf(ftpGet(targetFor(files.server, credentials, { maxBytes: 9_999 }))), 'tooLarge');
    assert.equal(await failureOf(ftpPut({ ...targetFor(files.server, credentials), maxBytes: 10 }, Buffer.alloc(11))), 'tooLarge');
  } finally {
    await files.stop();
  }
});

test('nothing listening is serverUnreachable', async () => {
  const port = await freePort();
  const target = { protocol: 'ftp', server: '127.0.0.1', port, file: 'image.bin', username: 'u', password: 'p' } as const;
  assert.equal(await failureOf(ftpGet(target)), 'serverUnreachable');
  assert.equal(await failureOf(ftpPut(target, Buffer.from('x'))), 'serverUnreachable');
});

test('the file server listens on its own address only', async () => {
  const files = await startFileServer({ address: '127.0.0.5' });
  try {
    putFile(files.root, 'image.bin', 100);
    const credentials = files.server.issueTransfer({ mode: 'read', file: 'image.bin' });
    const elsewhere = { ...targetFor(files.server, credentials), server: '127.0.0.1' };
    assert.equal(await failureOf(ftpGet(elsewhere)), 'serverUnreachable');
    assert.equal((await ftpGet(targetFor(files.server, credentials))).length, 100);
  } finally {
    await files.stop();
  }
});

/** A TCP server that accepts connections and never says a word, like a hung FTP server. */
async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

test('a server that never answers is transferTimeout', async () => {
  const silent = await silentServer();
  try {
    const target = { protocol: 'ftp', server: '127.0.0.1', port: silent.port, file: 'image.bin' } as const;
    assert.equal(await failureOf(ftpGet(target, { timeoutMs: 200 })), 'transferTimeout');
  } finally {
    await silent.close();
  }
});

test('an abort signal ends the transfer as aborted', async () => {
  const silent = await silentServer();
  try {
    const controller = new AbortController();
    const transfer = ftpGet({ protocol: 'ftp', server: '127.0.0.1', port: silent.port, file: 'image.bin', signal: controller.signal });
    controller.abort();
    assert.equal(await failureOf(transfer), 'aborted');
    assert.equal(await failureOf(ftpGet({ protocol: 'ftp', server: '127.0.0.1', port: silent.port, file: 'x', signal: controller.signal })), 'aborted');
  } finally {
    await silent.close();
  }
});

test('a bad target is refused before any connection', async () => {
  const base = { protocol: 'ftp', server: '127.0.0.1', port: 21, file: 'image.bin' } as const;
  for (const bad of [
    { ...base, server: 'localhost' },
    { ...base, port: 0 },
    { ...base, file: '' },
    { ...base, file: 'image.bin\r\nDELE other.bin' },
    { ...base, username: 'u\r\nSITE x' },
    { ...base, localAddress: 'eth0' },
    { ...base, maxBytes: -1 },
  ]) {
    await assert.rejects(ftpGet(bad), (error: unknown) => error instanceof TransferError && /bad FTP transfer target/.test(error.message), JSON.stringify(bad));
  }
});
