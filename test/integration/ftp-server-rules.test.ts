// What a session on our FTP file server may do: one file, one direction, once, nothing else.
// Driven command by command through basic-ftp, so each refusal is seen as the server's reply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, FTPError } from 'basic-ftp';
import { FtpFileServer } from '../../src/protocol/ftp/server.ts';
import { bindClientSocketsTo } from '../../src/protocol/ftp/local-address.ts';
import { passwordSha256, type IssuedCredentials } from '../../src/protocol/ftp/issued-transfers.ts';
import { entriesOf, putFile, sha256, startFileServer, tempDir, type RunningFileServer } from '../helpers/ftp-helpers.ts';

async function loggedIn(files: RunningFileServer, credentials: IssuedCredentials, localAddress?: string): Promise<Client> {
  const client = new Client(10_000);
  if (localAddress !== undefined) bindClientSocketsTo(client, localAddress);
  await client.access({ host: files.server.address, port: files.server.port, user: credentials.username, password: credentials.password });
  return client;
}

async function download(client: Client, name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  await client.downloadTo(sink, name);
  return Buffer.concat(chunks);
}

async function replyCodeOf(action: Promise<unknown>): Promise<number> {
  const error = await action.then(
    () => assert.fail('the server should have refused'),
    (error: unknown) => error,
  );
  assert.ok(error instanceof FTPError, `expected an FTP reply, got ${String(error)}`);
  return error.code;
}

const refusedCommands = [
  'LIST',
  'NLST',
  'MLSD',
  'STAT image.bin',
  'DELE image.bin',
  'RNFR image.bin',
  'RNTO x.bin',
  'MKD sub',
  'RMD sub',
  'SITE CHMOD 777 image.bin',
  'PORT 127,0,0,1,200,10',
  'EPRT |1|127.0.0.1|51210|',
  'REST 10',
  'APPE image.bin',
  'STOU',
  'ALLO 10',
  'MDTM image.bin',
  'AUTH TLS',
  'ABOR',
];

test('read credentials: only RETR of the issued name, once; every other command refused', async () => {
  const files = await startFileServer();
  try {
    const image = putFile(files.root, 'image.bin', 50_000);
    putFile(files.root, 'other.bin', 10);
    const client = await loggedIn(files, files.server.issueTransfer({ mode: 'read', file: 'image.bin' }));
    try {
      for (const command of refusedCommands) {
        assert.equal((await client.sendIgnoringError(command)).code, 502, command);
      }
      for (const path of ['..', '/etc', 'sub', '../..']) {
        assert.equal(await replyCodeOf(client.send(`CWD ${path}`)), 550, `CWD ${path}`);
      }
      assert.equal((await client.send('CWD /')).code, 250);
      assert.equal(await client.pwd(), '/');
      for (const trick of ['other.bin', '../image.bin', '/image.bin', 'x/../image.bin', '/etc/passwd', '.']) {
        assert.equal(await replyCodeOf(client.size(trick)), 550, `SIZE ${trick}`);
        assert.equal(await replyCodeOf(download(client, trick)), 551, `RETR ${trick}`);
      }
      assert.equal(await replyCodeOf(client.uploadFrom(Readable.from([Buffer.from('x')]), 'image.bin')), 550);
      assert.equal(await client.size('image.bin'), image.length);
      assert.equal(sha256(await download(client, 'image.bin')), sha256(image));
      assert.equal(await replyCodeOf(download(client, 'image.bin')), 551, 'a second RETR in the same session');
    } finally {
      client.close();
    }
    assert.deepEqual(entriesOf(files.root), ['image.bin', 'other.bin']);
    assert.deepEqual(readFileSync(join(files.root, 'image.bin')), image);
    assert.equal(files.transfers.length, 1);
  } finally {
    await files.stop();
  }
});

test('write credentials: only STOR of the issued name, once; nothing lands anywhere else', async () => {
  const files = await startFileServer();
  try {
    const outside = dirname(files.root);
    const client = await loggedIn(files, files.server.issueTransfer({ mode: 'write', file: 'backup.cfg' }));
    const send = (name: string, text: string) => client.uploadFrom(Readable.from([Buffer.from(text)]), name);
    try {
      for (const trick of ['../backup.cfg', `${outside}/escape.cfg`, '/backup.cfg', 'sub/backup.cfg', 'other.cfg', '.backup.cfg']) {
        assert.equal(await replyCodeOf(send(trick, 'evil')), 550, `STOR ${trick}`);
      }
      assert.equal(await replyCodeOf(download(client, 'backup.cfg')), 551, 'RETR with write credentials');
      assert.equal(await replyCodeOf(client.size('backup.cfg')), 550, 'nothing stored yet');
      await send('backup.cfg', 'good');
      assert.equal(await client.size('backup.cfg'), 4);
      assert.equal(await replyCodeOf(send('backup.cfg', 'overwrite')), 550, 'a second STOR in the same session');
    } finally {
      client.close();
    }
    assert.deepEqual(entriesOf(files.root), ['backup.cfg']);
    assert.equal(readFileSync(join(files.root, 'backup.cfg'), 'utf8'), 'good');
    assert.equal(existsSync(join(outside, 'escape.cfg')), false);
    assert.equal(existsSync(join(outside, 'backup.cfg')), false);
  } finally {
    await files.stop();
  }
});

test('a file swapped for a symbolic link after issue is not followed', async () => {
  const files = await startFileServer();
  const secret = tempDir();
  try {
    writeFileSync(join(secret.path, 'secret'), 'do not serve');
    putFile(files.root, 'image.bin', 10);
    const credentials = files.server.issueTransfer({ mode: 'read', file: 'image.bin' });
    unlinkSync(join(files.root, 'image.bin'));
    symlinkSync(join(secret.path, 'secret'), join(files.root, 'image.bin'));
    const client = await loggedIn(files, credentials);
    try {
      assert.equal(await replyCodeOf(download(client, 'image.bin')), 551);
    } finally {
      client.close();
    }
    assert.throws(() => files.server.issueTransfer({ mode: 'read', file: 'image.bin' }), /not a regular file/);
  } finally {
    secret.remove();
    await files.stop();
  }
});

/** Speaks FTP by hand, to start an upload and then vanish in the middle of it. */
async function startRawUpload(files: RunningFileServer, credentials: IssuedCredentials): Promise<{ control: Socket; data: Socket }> {
  const control = connect({ host: files.server.address, port: files.server.port });
  let replies = '';
  control.on('data', (chunk: Buffer) => (replies += chunk.toString()));
  const expect = async (code: string) => {
    for (let waited = 0; !new RegExp(`^${code} `, 'm').test(replies); waited++) {
      if (waited > 200) throw new Error(`no ${code} reply in: ${replies}`);
      await sleep(10);
    }
    const matched = replies;
    replies = '';
    return matched;
  };
  await expect('220');
  control.write(`USER ${credentials.username}\r\n`);
  await expect('331');
  control.write(`PASS ${credentials.password}\r\n`);
  await expect('230');
  control.write('EPSV\r\n');
  const port = Number(/\|\|\|(\d+)\|/.exec(await expect('229'))![1]);
  const data = connect({ host: files.server.address, port });
  await once(data, 'connect');
  control.write(`STOR ${credentials.file}\r\n`);
  await expect('150');
  data.write(Buffer.alloc(200_000, 3));
  return { control, data };
}

test('a session that drops during an upload leaves nothing behind', async () => {
  const files = await startFileServer();
  try {
    const { control, data } = await startRawUpload(files, files.server.issueTransfer({ mode: 'write', file: 'backup.cfg' }));
    for (let waited = 0; entriesOf(files.root).length === 0 && waited < 200; waited++) await sleep(10);
    assert.equal(entriesOf(files.root).length, 1, 'the upload was under way in a temporary file');
    control.resetAndDestroy();
    for (let waited = 0; entriesOf(files.root).length > 0 && waited < 200; waited++) await sleep(10);
    assert.deepEqual(entriesOf(files.root), []);
    data.destroy();
    assert.deepEqual(files.transfers, []);
  } finally {
    await files.stop();
  }
});

test('passive replies name the server address and a port from the configured range', async () => {
  const base = 20_000 + Math.floor(Math.random() * 30_000);
  const files = await startFileServer({ passivePorts: { min: base, max: base + 9 } });
  try {
    putFile(files.root, 'image.bin', 10);
    const client = await loggedIn(files, files.server.issueTransfer({ mode: 'read', file: 'image.bin' }), '127.0.0.7');
    // Each reply's port is claimed at once, as a client would: ftp-srv holds an unclaimed one open for 30 s.
    const claim = async (port: number) => {
      assert.ok(port >= base && port <= base + 9, `${port} outside ${base}-${base + 9}`);
      const socket = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.7' });
      await once(socket, 'connect');
      return { socket, closed: once(socket, 'close') };
    };
    try {
      const pasv = /(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)/.exec((await client.send('PASV')).message)!;
      assert.equal(pasv.slice(1, 5).join('.'), '127.0.0.1', 'not the client address 127.0.0.7');
      const first = await claim(Number(pasv[5]) * 256 + Number(pasv[6]));
      const second = await claim(Number(/\|\|\|(\d+)\|/.exec((await client.send('EPSV')).message)![1]));
      // The EPSV replaced the PASV connection: the server must have closed it, not left it dangling.
      await first.closed;
      second.socket.destroy();
    } finally {
      client.close();
    }
  } finally {
    await files.stop();
  }
});

test('expired and revoked credentials are refused', async () => {
  const files = await startFileServer({ credentialTtlMs: 1 });
  try {
    putFile(files.root, 'image.bin', 10);
    const expired = files.server.issueTransfer({ mode: 'read', file: 'image.bin' });
    await sleep(20);
    assert.equal(await replyCodeOf(loggedIn(files, expired)), 530);
  } finally {
    await files.stop();
  }
  const other = await startFileServer();
  try {
    putFile(other.root, 'image.bin', 10);
    const revoked = other.server.issueTransfer({ mode: 'read', file: 'image.bin' });
    assert.equal(other.server.revokeTransfer(revoked.username), true);
    assert.equal(other.server.revokeTransfer(revoked.username), false);
    assert.equal(await replyCodeOf(loggedIn(other, revoked)), 530);
  } finally {
    await other.stop();
  }
});

test('issueTransfer refuses bad requests and issues nothing for them', async () => {
  const files = await startFileServer({ maxOutstandingTransfers: 2 });
  try {
    putFile(files.root, 'image.bin', 10);
    mkdirSync(join(files.root, 'dir'));
    const bad: Array<[Parameters<FtpFileServer['issueTransfer']>[0], RegExp]> = [
      [{ mode: 'read', file: '../image.bin' }, /plain file name/],
      [{ mode: 'read', file: '/etc/passwd' }, /plain file name/],
      [{ mode: 'write', file: '.hidden' }, /plain file name/],
      [{ mode: 'write', file: 'a/b' }, /plain file name/],
      [{ mode: 'write', file: '' }, /plain file name/],
      [{ mode: 'write', file: 'x'.repeat(256) }, /plain file name/],
      [{ mode: 'write', file: 'image.bin' }, /already exists/],
      [{ mode: 'read', file: 'missing.bin' }, /not a regular file/],
      [{ mode: 'read', file: 'dir' }, /not a regular file/],
      [{ mode: 'delete' as 'read', file: 'image.bin' }, /read or write/],
      [{ mode: 'write', file: 'new.cfg', maxBytes: -1 }, /maxBytes/],
      [{ mode: 'write', file: 'new.cfg', peerAddress: 'device-1' }, /peer address/],
    ];
    for (const [request, reason] of bad) {
      assert.throws(() => files.server.issueTransfer(request), reason, JSON.stringify(request));
    }
    files.server.issueTransfer({ mode: 'read', file: 'image.bin' });
    files.server.issueTransfer({ mode: 'read', file: 'image.bin' });
    assert.throws(() => files.server.issueTransfer({ mode: 'read', file: 'image.bin' }), /too many unused/);
    assert.deepEqual(entriesOf(files.root), ['dir', 'image.bin']);
  } finally {
    await files.stop();
  }
});

test('bad server options are refused, and starting leaves process signal handling alone', async () => {
  const dir = tempDir();
  try {
    for (const [options, reason] of [
      [{ address: '0.0.0.0' }, /address/],
      [{ address: 'localhost' }, /address/],
      [{ address: '127.0.0.1', root: join(dir.path, 'missing') }, /root/],
      [{ address: '127.0.0.1', passivePorts: { min: 40_010, max: 40_000 } }, /passive ports/],
      [{ address: '127.0.0.1', passivePorts: { min: 80, max: 90 } }, /passive ports/],
      [{ address: '127.0.0.1', maxUploadBytes: 0 }, /maxUploadBytes/],
    ] as const) {
      await assert.rejects(FtpFileServer.start({ root: dir.path, ...options }), reason);
    }
    const signals = ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const;
    const before = signals.map((signal) => process.listenerCount(signal));
    const server = await FtpFileServer.start({ root: dir.path, address: '127.0.0.1' });
    assert.deepEqual(
      signals.map((signal) => process.listenerCount(signal)),
      before,
    );
    await server.close();
  } finally {
    dir.remove();
  }
});

test('restored credentials work once until they expire; bad restorations are refused', async () => {
  const files = await startFileServer();
  try {
    const image = putFile(files.root, 'image.bin', 100);
    // The owner keeps the password's digest only; the device logs in with the password.
    const login = { username: 'sf-kept', password: 'p4ss-kept', file: 'image.bin' };
    const kept = { mode: 'read', file: 'image.bin', username: login.username, passwordSha256: passwordSha256(login.password) } as const;
    assert.throws(() => files.server.restoreTransfer({ ...kept, expiresAt: Number.NaN }), /epoch milliseconds/);
    assert.throws(() => files.server.restoreTransfer({ ...kept, username: 'has space', expiresAt: Date.now() + 60_000 }), /printable/);
    assert.throws(() => files.server.restoreTransfer({ ...kept, passwordSha256: login.password, expiresAt: Date.now() + 60_000 }), /SHA-256/);
    files.server.restoreTransfer({ ...kept, expiresAt: Date.now() + 60_000 });
    assert.throws(() => files.server.restoreTransfer({ ...kept, expiresAt: Date.now() + 60_000 }), /already issued/);
    assert.equal(await replyCodeOf(loggedIn(files, { ...login, password: kept.passwordSha256 })), 530, 'the digest is no password');
    const client = await loggedIn(files, login);
    try {
      assert.deepEqual(await download(client, 'image.bin'), image);
    } finally {
      client.close();
    }
    assert.equal(await replyCodeOf(loggedIn(files, login)), 530);
    files.server.restoreTransfer({ ...kept, username: 'sf-late', expiresAt: Date.now() - 1 });
    assert.equal(await replyCodeOf(loggedIn(files, { ...login, username: 'sf-late' })), 530);
  } finally {
    await files.stop();
  }
});
