// Our TFTP client against our TFTP server over real UDP on loopback: sizes at block boundaries,
// block-number rollover, windows, option fallback, write rules, path confinement, hostile packets
// and packet loss. Every transfer is checked by SHA-256.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TransferError } from '../../src/protocol/transfer-contract.ts';
import { MemorySink } from '../../src/protocol/tftp/block-sink.ts';
import { BufferBlockSource } from '../../src/protocol/tftp/block-source.ts';
import { tftpGet, tftpPut, tftpReceive, tftpSend, type TftpClientOptions } from '../../src/protocol/tftp/client.ts';
import { encodeAck, encodeRequest, parsePacket } from '../../src/protocol/tftp/packet.ts';
import { LossProxy, entriesOf, eventually, putFile, sha256, startTftpServer, tempDir, type RunningTftpServer } from '../helpers/tftp-helpers.ts';

const fastRetry = { timeoutMs: 100, maxTimeoutMs: 400, retries: 6 };

async function failureOf(work: Promise<unknown>): Promise<TransferError> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof TransferError, `expected a TransferError, got ${String(error)}`);
    return error;
  }
  assert.fail('the transfer should have failed');
}

describe('our client against our server', () => {
  let running: RunningTftpServer;
  const files = new Map<string, Buffer>();
  const client = (file: string, extra: Partial<TftpClientOptions> = {}): TftpClientOptions => ({
    server: '127.0.0.1',
    port: running.port,
    file,
    localAddress: '127.0.0.1',
    ...extra,
  });
  const target = (file: string) => ({ protocol: 'tftp' as const, server: '127.0.0.1', port: running.port, file, localAddress: '127.0.0.1' });

  before(async () => {
    running = await startTftpServer({ maxUploadBytes: 40 * 1024 * 1024, retry: fastRetry });
    for (const [name, size] of [
      ['small.cfg', 100],
      ['empty.bin', 0],
      ['exact-512.bin', 512 * 8],
      ['exact-1468.bin', 1468 * 5],
      ['medium.bin', 300_000],
    ] as const) {
      files.set(name, putFile(running.root, name, size));
    }
    mkdirSync(join(running.root, 'images'));
    files.set('images/fw.img', putFile(join(running.root, 'images'), 'fw.img', 5000));
  });
  after(async () => running.stop());

  for (const name of ['small.cfg', 'empty.bin', 'exact-512.bin', 'exact-1468.bin', 'medium.bin', 'images/fw.img']) {
    test(`tftpGet ${name} with default options`, async () => {
      const expected = files.get(name) as Buffer;
      const got = await tftpGet(target(name));
      assert.equal(sha256(got), sha256(expected));
      await eventually(() => running.transfers.some((t) => t.name === name && t.sha256 === sha256(expected)), `the server's record of ${name}`);
    });
  }

  for (const [blksize, windowsize] of [
    [512, 1],
    [512, 4],
    [1468, 1],
    [1468, 16],
    [8192, 64],
    [65464, 8],
  ] as const) {
    test(`read blksize ${blksize} windowsize ${windowsize}, files at block boundaries`, async () => {
      for (const name of ['exact-512.bin', 'exact-1468.bin', 'medium.bin', 'empty.bin']) {
        const sink = new MemorySink();
        const result = await tftpReceive(client(name, { blksize, windowsize }), sink);
        assert.equal(sha256(sink.contents()), sha256(files.get(name) as Buffer), name);
        assert.deepEqual([result.parameters.blksize, result.parameters.windowsize], [blksize, windowsize]);
        assert.equal(result.parameters.tsize, (files.get(name) as Buffer).length);
      }
    });
  }

  test('plain RFC 1350 when options are not proposed', async () => {
    const sink = new MemorySink();
    const result = await tftpReceive(client('medium.bin', { useOptions: false }), sink);
    assert.equal(sha256(sink.contents()), sha256(files.get('medium.bin') as Buffer));
    assert.deepEqual(result.parameters, { blksize: 512, windowsize: 1, timeoutSeconds: undefined, tsize: undefined });
  });

  test('options refused with error 8: the client asks again without them', async () => {
    const sink = new MemorySink();
    // blksize 7 is below RFC 2348's minimum, so the server refuses the whole option set.
    const result = await tftpReceive(client('exact-512.bin', { blksize: 7 }), sink);
    assert.equal(sha256(sink.contents()), sha256(files.get('exact-512.bin') as Buffer));
    assert.equal(result.parameters.blksize, 512);
  });

  test('a file over 32 MiB: block numbers roll over from 65535 to 0, both directions', async () => {
    const big = putFile(running.root, 'big.bin', 33 * 1024 * 1024 + 100);
    const sink = new MemorySink();
    const read = await tftpReceive(client('big.bin', { blksize: 512, windowsize: 16 }), sink);
    assert.ok(read.bytes / 512 > 65536, 'more blocks than 16 bits can number');
    assert.equal(sha256(sink.contents()), sha256(big));
    const name = running.server.issueWriteName('big');
    await tftpSend(client(name, { blksize: 512, windowsize: 8 }), new BufferBlockSource(big));
    assert.equal(sha256(readFileSync(join(running.root, name))), sha256(big));
    await eventually(() => running.transfers.some((t) => t.name === name && t.direction === 'write' && t.sha256 === sha256(big)), 'the upload record');
  });

  test('windowsize 1 rollover read (one ACK per block across the wrap)', async () => {
    const sink = new MemorySink();
    await tftpReceive(client('big.bin', { blksize: 512, windowsize: 1 }), sink);
    assert.equal(sha256(sink.contents()), sha256(readFileSync(join(running.root, 'big.bin'))));
  });

  test('writes go only to issued names, once; the record says what arrived and from where', async () => {
    const data = randomBytes(10_000);
    const name = running.server.issueWriteName('dev-7');
    assert.match(name, /^backup-dev-7-[0-9a-f]{32}\.cfg$/);
    await tftpPut(target(name), data);
    assert.equal(sha256(readFileSync(join(running.root, name))), sha256(data));
    const record = running.transfers.find((t) => t.name === name);
    assert.ok(record);
    assert.deepEqual([record.direction, record.bytes, record.sha256, record.peer.address], ['write', data.length, sha256(data), '127.0.0.1']);
    const again = await failureOf(tftpPut(target(name), randomBytes(10)));
    assert.equal(again.failure, 'accessDenied');
    assert.equal(sha256(readFileSync(join(running.root, name))), sha256(data), 'the first upload is untouched');
    const unissued = await failureOf(tftpPut(target('small.cfg'), randomBytes(10)));
    assert.equal(unissued.failure, 'accessDenied');
    assert.match(unissued.message, /error 2 \(access violation\).*issued/);
    assert.equal(sha256(readFileSync(join(running.root, 'small.cfg'))), sha256(files.get('small.cfg') as Buffer));
  });

  test('an issued name expires', async () => {
    const name = running.server.issueWriteName('late', 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal((await failureOf(tftpPut(target(name), Buffer.from('x')))).failure, 'accessDenied');
    assert.ok(!entriesOf(running.root).includes(name));
  });

  test('paths outside the root are refused and nothing is written', async () => {
    const outside = tempDir('safeflash-tftp-outside-');
    try {
      writeFileSync(join(outside.path, 'secret'), 'secret');
      symlinkSync(join(outside.path, 'secret'), join(running.root, 'link-out'));
      symlinkSync(outside.path, join(running.root, 'dir-out'));
      const before = entriesOf(running.root);
      for (const name of ['../secret', '/etc/passwd', 'images/../../x', 'a\\..\\..\\b', '.hidden', 'link-out', 'dir-out/secret', `${outside.path}/secret`]) {
        const read = await failureOf(tftpGet(target(name)));
        assert.equal(read.failure, 'accessDenied', name);
        const write = await failureOf(tftpPut(target(name), Buffer.from('evil')));
        assert.equal(write.failure, 'accessDenied', name);
      }
      assert.deepEqual(entriesOf(running.root), before);
      assert.deepEqual(entriesOf(outside.path), ['secret']);
      assert.equal(readFileSync(join(outside.path, 'secret'), 'utf8'), 'secret');
    } finally {
      outside.remove();
    }
  });

  test('missing file, and maxBytes on the client', async () => {
    assert.equal((await failureOf(tftpGet(target('no-such-file')))).failure, 'fileNotFound');
    const tooBig = await failureOf(tftpGet({ ...target('medium.bin'), maxBytes: 1000 }));
    assert.equal(tooBig.failure, 'tooLarge');
    const sink = new MemorySink();
    const plain = await failureOf(tftpReceive(client('medium.bin', { useOptions: false, maxBytes: 1000 }), sink));
    assert.equal(plain.failure, 'tooLarge', 'without tsize the limit applies as bytes arrive');
  });

  test('abort signal ends a transfer', async () => {
    const controller = new AbortController();
    const sink = new MemorySink();
    const progress: number[] = [];
    const transfer = tftpReceive(
      client('big.bin', {
        blksize: 512,
        windowsize: 1,
        signal: controller.signal,
        onProgress: (bytes) => {
          progress.push(bytes);
          if (bytes > 100_000) controller.abort();
        },
      }),
      sink,
    );
    assert.equal((await failureOf(transfer)).failure, 'aborted');
    assert.ok(progress.length > 0);
  });

  test('nobody listening: serverUnreachable', async () => {
    const idle = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => idle.bind(0, '127.0.0.1', resolve));
    try {
      const sink = new MemorySink();
      const error = await failureOf(tftpReceive(client('x', { port: idle.address().port, retry: { timeoutMs: 50, maxTimeoutMs: 100, retries: 3 } }), sink));
      assert.equal(error.failure, 'serverUnreachable');
    } finally {
      idle.close();
    }
  });

  test('the client sends from the given local address', async () => {
    await tftpGet({ ...target('small.cfg'), localAddress: '127.0.0.2' });
    await eventually(() => running.transfers.some((t) => t.name === 'small.cfg' && t.peer.address === '127.0.0.2'), 'a transfer from 127.0.0.2');
  });

  test('many transfers at once, each on its own server port', async () => {
    const before = running.transfers.length;
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => tftpGet(target(i % 2 === 0 ? 'medium.bin' : 'exact-1468.bin'))));
    for (const [i, got] of results.entries()) assert.equal(sha256(got), sha256(files.get(i % 2 === 0 ? 'medium.bin' : 'exact-1468.bin') as Buffer));
    await eventually(() => running.transfers.length >= before + 12, 'twelve records');
    const ports = new Set(running.transfers.slice(before).map((t) => t.peer.port));
    assert.equal(ports.size, 12);
  });
});

describe('oversized uploads', () => {
  let running: RunningTftpServer;
  before(async () => {
    running = await startTftpServer({ maxUploadBytes: 50_000, retry: fastRetry });
  });
  after(async () => running.stop());

  for (const tsize of [true, false]) {
    test(`refused with error 3 and nothing left (${tsize ? 'announced by tsize' : 'found while receiving'})`, async () => {
      const name = running.server.issueWriteName();
      const error = await failureOf(tftpSend({ server: '127.0.0.1', port: running.port, file: name, tsize }, new BufferBlockSource(randomBytes(120_000))));
      assert.equal(error.failure, 'tooLarge');
      assert.match(error.message, /error 3 \(disk full or allocation exceeded\)/);
      await eventually(() => running.server.activeTransfers === 0, 'the transfer to end');
      assert.deepEqual(entriesOf(running.root), [], 'no file, no partial file');
    });
  }

  test('an upload at the limit is accepted', async () => {
    const data = randomBytes(50_000);
    const name = running.server.issueWriteName();
    await tftpPut({ protocol: 'tftp', server: '127.0.0.1', port: running.port, file: name }, data);
    assert.equal(sha256(readFileSync(join(running.root, name))), sha256(data));
  });
});

describe('hostile and broken packets', () => {
  let running: RunningTftpServer;
  let data: Buffer;
  let probe: dgram.Socket;
  before(async () => {
    running = await startTftpServer({ retry: fastRetry });
    data = putFile(running.root, 'file.bin', 2000);
    probe = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
  });
  after(async () => {
    probe.close();
    await running.stop();
  });

  const nextPacket = (socket: dgram.Socket) =>
    new Promise<{ message: Buffer; port: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer')), 2000);
      socket.once('message', (message, rinfo) => {
        clearTimeout(timer);
        resolve({ message, port: rinfo.port });
      });
    });

  test('garbage to the request port gets error 4 and does not stop the server', async () => {
    const garbage = [
      Buffer.alloc(0),
      Buffer.from([0]),
      Buffer.from([0, 3, 0, 1, 1, 2]),
      Buffer.from([0, 4, 0, 1]),
      Buffer.from('\x00\x01name-only', 'latin1'),
      Buffer.from([0xff, 0xff, 1]),
    ];
    for (let i = 0; i < 200; i += 1) garbage.push(randomBytes(1 + (i % 700)));
    const answered = nextPacket(probe);
    for (const packet of garbage) probe.send(packet, running.port, '127.0.0.1');
    const first = parsePacket((await answered).message);
    assert.equal(first.type, 'error');
    assert.equal(first.type === 'error' && first.code, 4);
    const got = await tftpGet({ protocol: 'tftp', server: '127.0.0.1', port: running.port, file: 'file.bin' });
    assert.equal(sha256(got), sha256(data));
  });

  test('a packet from a wrong TID gets error 5 and the transfer goes on', async () => {
    const client = dgram.createSocket('udp4');
    const stranger = dgram.createSocket('udp4');
    await Promise.all([client, stranger].map((s) => new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve))));
    try {
      const first = nextPacket(client);
      client.send(encodeRequest({ type: 'rrq', filename: 'file.bin', mode: 'octet' }), running.port, '127.0.0.1');
      const { message, port: tid } = await first;
      assert.notEqual(tid, running.port, 'the transfer answers from its own port');
      const block1 = parsePacket(message);
      assert.deepEqual(block1.type === 'data' && [block1.block, block1.data.length], [1, 512]);
      const rebuff = nextPacket(stranger);
      stranger.send(encodeAck(1), tid, '127.0.0.1');
      const error = parsePacket((await rebuff).message);
      assert.deepEqual(error.type === 'error' && error.code, 5);
      const received = [block1.type === 'data' ? block1.data : Buffer.alloc(0)];
      for (let block = 1; ; block += 1) {
        const next = nextPacket(client);
        client.send(encodeAck(block), tid, '127.0.0.1');
        const packet = parsePacket((await next).message);
        assert.equal(packet.type, 'data');
        if (packet.type !== 'data') break;
        received.push(packet.data);
        if (packet.data.length < 512) {
          client.send(encodeAck(packet.block), tid, '127.0.0.1');
          break;
        }
      }
      assert.equal(sha256(Buffer.concat(received)), sha256(data));
    } finally {
      client.close();
      stranger.close();
    }
  });

  test('a malformed packet inside a transfer ends it with error 4, the server keeps serving', async () => {
    const client = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
    try {
      const first = nextPacket(client);
      client.send(encodeRequest({ type: 'rrq', filename: 'file.bin', mode: 'octet' }), running.port, '127.0.0.1');
      const { port: tid } = await first;
      const answer = nextPacket(client);
      client.send(Buffer.from([0, 4, 0]), tid, '127.0.0.1');
      const error = parsePacket((await answer).message);
      assert.deepEqual(error.type === 'error' && error.code, 4);
      assert.equal(sha256(await tftpGet({ protocol: 'tftp', server: '127.0.0.1', port: running.port, file: 'file.bin' })), sha256(data));
    } finally {
      client.close();
    }
  });

  test("duplicate ACKs do not make the server send a block twice (no sorcerer's apprentice)", async () => {
    // A server with a long retransmission delay, so every DATA seen here answers an ACK.
    const patient = await startTftpServer({ retry: { timeoutMs: 5000, maxTimeoutMs: 5000, retries: 1 } });
    const client = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
    try {
      const content = putFile(patient.root, 'three-blocks.bin', 1200);
      const seen: number[] = [];
      const received: Buffer[] = [];
      let tid = 0;
      const finished = new Promise<void>((resolve) => {
        client.on('message', (message, rinfo) => {
          const packet = parsePacket(message);
          if (packet.type !== 'data') return;
          tid = rinfo.port;
          seen.push(packet.block);
          if (seen.filter((b) => b === packet.block).length > 1) return;
          received.push(packet.data);
          // Every ACK goes out three times, as a receiver whose ACKs were delayed would do.
          for (let i = 0; i < 3; i += 1) client.send(encodeAck(packet.block), tid, '127.0.0.1');
          if (packet.data.length < 512) setTimeout(resolve, 100);
        });
      });
      client.send(encodeRequest({ type: 'rrq', filename: 'three-blocks.bin', mode: 'octet' }), patient.port, '127.0.0.1');
      await finished;
      assert.deepEqual(seen, [1, 2, 3], 'each block exactly once');
      assert.equal(sha256(Buffer.concat(received)), sha256(content));
    } finally {
      client.close();
      await patient.stop();
    }
  });

  test('netascii and other modes are refused with a clear error', async () => {
    const answer = nextPacket(probe);
    probe.send(encodeRequest({ type: 'rrq', filename: 'file.bin', mode: 'netascii' }), running.port, '127.0.0.1');
    const error = parsePacket((await answer).message);
    assert.ok(error.type === 'error' && error.code === 4 && /octet/.test(error.message));
  });
});

describe('lost packets both ways', () => {
  let running: RunningTftpServer;
  let data: Buffer;
  before(async () => {
    running = await startTftpServer({ retry: fastRetry, maxUploadBytes: 1 << 20 });
    data = putFile(running.root, 'lossy.bin', 200_000);
  });
  after(async () => running.stop());

  // Drop every 7th packet towards the client and every 5th towards the server, at most 12 each way.
  const dropper = () => {
    const limit = { toServer: 12, toClient: 12 };
    return (direction: 'toServer' | 'toClient', n: number): boolean => {
      if (limit[direction] === 0 || n % (direction === 'toClient' ? 7 : 5) !== 0) return false;
      limit[direction] -= 1;
      return true;
    };
  };

  for (const [blksize, windowsize] of [
    [512, 1],
    [1468, 8],
  ] as const) {
    test(`read completes through loss, blksize ${blksize} windowsize ${windowsize}`, async () => {
      const proxy = new LossProxy(running.port, dropper());
      await proxy.start();
      try {
        const sink = new MemorySink();
        await tftpReceive({ server: '127.0.0.1', port: proxy.port, file: 'lossy.bin', blksize, windowsize, retry: fastRetry }, sink);
        assert.equal(sha256(sink.contents()), sha256(data));
        assert.ok(proxy.dropped.toClient > 0 && proxy.dropped.toServer > 0, `dropped ${JSON.stringify(proxy.dropped)}`);
      } finally {
        await proxy.close();
      }
    });

    test(`write completes through loss, blksize ${blksize} windowsize ${windowsize}`, async () => {
      const proxy = new LossProxy(running.port, dropper());
      await proxy.start();
      try {
        const name = running.server.issueWriteName('lossy');
        await tftpSend({ server: '127.0.0.1', port: proxy.port, file: name, blksize, windowsize, retry: fastRetry }, new BufferBlockSource(data));
        assert.ok(proxy.dropped.toClient > 0 && proxy.dropped.toServer > 0, `dropped ${JSON.stringify(proxy.dropped)}`);
        await eventually(() => running.transfers.some((t) => t.name === name), 'the upload record');
        assert.equal(sha256(readFileSync(join(running.root, name))), sha256(data));
      } finally {
        await proxy.close();
      }
    });
  }
});
