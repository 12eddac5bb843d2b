// The TFTP server (src/protocol/tftp) on a real loopback socket: random datagrams, requests with fuzzed
// names, modes and option mixes, and fuzzed DATA/ACK/ERROR sent on to the transfer that answered. After
// each input the server still serves a valid read, its root holds only the served file and names it
// issued, and nothing outside its root has changed.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { MemorySink } from '../../src/protocol/tftp/block-sink.ts';
import { BufferBlockSource } from '../../src/protocol/tftp/block-source.ts';
import { tftpReceive, tftpSend } from '../../src/protocol/tftp/client.ts';
import { TransferError } from '../../src/protocol/transfer-contract.ts';
import { parsePacket, TftpParseError } from '../../src/protocol/tftp/packet.ts';
import { TftpServer } from '../../src/protocol/tftp/server.ts';
import { fuzzTarget } from './target.ts';
import { UdpPeer } from './udp-peer.ts';

/** Stands for the name the server issued for this input: a WRQ to it is allowed, once. */
const issuedName = '<issued>';
const servedName = 'served.bin';
const servedBytes = Buffer.from('the served file, one block\n'.repeat(20));
const outsideBytes = Buffer.from('outside the root\n');

const text = (maxLength: number) => fc.string({ unit: 'binary-ascii', maxLength });
const fileName = fc.oneof(
  fc.constantFrom(servedName, issuedName, issuedName),
  fc.constantFrom(
    '../outside.txt',
    '/etc/passwd',
    '..',
    '.',
    '',
    `${servedName}/../../outside.txt`,
    '..\\outside.txt',
    'sub/x',
    '%2e%2e/outside.txt',
    '.hidden',
  ),
  fc.constantFrom('backup-fuzz-00000000000000000000000000000000.cfg', `${servedName}\u0000x`, `./${servedName}`, `//${servedName}`, `${join('/', servedName)}`),
  text(40),
);
const mode = fc.oneof(fc.constantFrom('octet', 'OCTET', 'netascii', 'mail'), text(10));
const optionName = fc.oneof(fc.constantFrom('blksize', 'tsize', 'timeout', 'windowsize', 'BLKSIZE', 'Timeout', 'rollover'), text(10));
const optionValue = fc.oneof(fc.constantFrom('0', '1', '8', '512', '1468', '65464', '65465', '255', '256', '-1', '1e3', '', '99999999999', '0x10'), text(8));
const options = fc.array(fc.tuple(optionName, optionValue), { maxLength: 6 });

type Step =
  | { kind: 'request'; opcode: number; file: string; mode: string; options: Array<[string, string]> }
  | { kind: 'raw'; bytes: Uint8Array; toTransfer: boolean }
  | { kind: 'data'; block: number; bytes: Uint8Array; toTransfer: boolean }
  | { kind: 'ack'; block: number; toTransfer: boolean }
  | { kind: 'error'; code: number; message: string; toTransfer: boolean }
  | { kind: 'upload'; file: string; bytes: Uint8Array; blksize: number; windowsize: number; useOptions: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('request' as const), opcode: fc.constantFrom(1, 2, 2, 6), file: fileName, mode, options }) },
  fc.record({ kind: fc.constant('raw' as const), bytes: fc.uint8Array({ maxLength: 80 }), toTransfer: fc.boolean() }),
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('data' as const),
      block: fc.oneof(fc.constantFrom(0, 1, 2, 65535), fc.integer({ min: 0, max: 65535 })),
      bytes: fc.uint8Array({ maxLength: 600 }),
      toTransfer: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('ack' as const), block: fc.integer({ min: 0, max: 65535 }), toTransfer: fc.boolean() }) },
  fc.record({ kind: fc.constant('error' as const), code: fc.integer({ min: 0, max: 65535 }), message: text(20), toTransfer: fc.boolean() }),
  // A whole, well-formed upload with a random option mix: it must land when the name was issued, and
  // be refused, leaving nothing, when it was not.
  fc.record({
    kind: fc.constant('upload' as const),
    file: fileName,
    bytes: fc.uint8Array({ maxLength: 3000 }),
    blksize: fc.constantFrom(8, 512, 1024, 1468),
    windowsize: fc.integer({ min: 1, max: 8 }),
    useOptions: fc.boolean(),
  }),
) as fc.Arbitrary<Step>;

const opcodeBytes = (opcode: number) => Buffer.from([opcode >> 8, opcode & 0xff]);
const zeroEnded = (s: string) => Buffer.concat([Buffer.from(s, 'latin1'), Buffer.from([0])]);

function encode(s: Step, issued: string): Buffer {
  switch (s.kind) {
    case 'request':
      return Buffer.concat([
        opcodeBytes(s.opcode),
        zeroEnded(s.file === issuedName ? issued : s.file),
        zeroEnded(s.mode),
        ...s.options.flatMap(([n, v]) => [zeroEnded(n), zeroEnded(v)]),
      ]);
    case 'raw':
      return Buffer.from(s.bytes);
    case 'data':
      return Buffer.concat([opcodeBytes(3), opcodeBytes(s.block), s.bytes]);
    case 'ack':
      return Buffer.concat([opcodeBytes(4), opcodeBytes(s.block)]);
    case 'error':
      return Buffer.concat([opcodeBytes(5), opcodeBytes(s.code), zeroEnded(s.message)]);
    case 'upload':
      throw new Error('an upload is a whole transfer, not one datagram');
  }
}

function takenUp(datagram: Buffer, issued: string): boolean {
  try {
    const packet = parsePacket(datagram);
    return packet.type === 'wrq' && packet.filename === issued && packet.mode.toLowerCase() === 'octet';
  } catch {
    return false;
  }
}

interface TftpBed {
  dir: string;
  root: string;
  server: TftpServer;
  issued: Set<string>;
}

async function open(): Promise<TftpBed> {
  const dir = await mkdtemp(join(tmpdir(), 'sf-fuzz-tftp-'));
  const root = join(dir, 'root');
  await mkdir(root);
  await writeFile(join(root, servedName), servedBytes);
  await writeFile(join(dir, 'outside.txt'), outsideBytes);
  // Short retransmissions: abandoned transfers end within two seconds, as a lab server's would. Not
  // shorter: the valid read after each input is a transfer too, and on a loaded machine its client's
  // acknowledgement can come a few hundred ms late (40 ms doubling to 80, twice, gave it up at 200).
  const server = new TftpServer({ root, address: '127.0.0.1', port: 0, retry: { timeoutMs: 100, maxTimeoutMs: 800, retries: 3 }, maxUploadBytes: 64 * 1024 });
  await server.start();
  return { dir, root, server, issued: new Set() };
}

async function validRead(bed: TftpBed): Promise<void> {
  const sink = new MemorySink();
  await tftpReceive(
    { server: '127.0.0.1', localAddress: '127.0.0.1', port: bed.server.port, file: servedName, retry: { timeoutMs: 100, maxTimeoutMs: 200, retries: 4 } },
    sink,
  );
  assert.deepEqual(sink.contents(), servedBytes, 'a valid read returns the served file');
}

async function checkFiles(bed: TftpBed): Promise<void> {
  const outside = (await readdir(bed.dir)).sort();
  assert.deepEqual(outside, ['outside.txt', 'root'], 'nothing was written outside the root');
  assert.deepEqual(await readFile(join(bed.dir, 'outside.txt')), outsideBytes);
  assert.deepEqual(await readFile(join(bed.root, servedName)), servedBytes, 'the served file is unchanged');
  for (const entry of await readdir(bed.root)) {
    if (entry === servedName) continue;
    const part = /^\.(.+)\.[0-9a-f]{12}\.part$/.exec(entry);
    assert.ok(bed.issued.has(part ? part[1]! : entry), `the root holds ${JSON.stringify(entry)}, a name the server never issued`);
  }
}

/** Whether the upload asked for the issued name (and so used it up). */
async function upload(bed: TftpBed, s: Extract<Step, { kind: 'upload' }>, issued: string, spent: boolean): Promise<boolean> {
  const file = s.file === issuedName ? issued : s.file;
  const landed = () => readFile(join(bed.root, issued)).catch(() => undefined);
  const before = await landed();
  try {
    await tftpSend(
      {
        server: '127.0.0.1',
        localAddress: '127.0.0.1',
        port: bed.server.port,
        file,
        blksize: s.blksize,
        windowsize: s.windowsize,
        useOptions: s.useOptions,
        retry: { timeoutMs: 100, maxTimeoutMs: 200, retries: 4 },
      },
      new BufferBlockSource(Buffer.from(s.bytes)),
    );
  } catch (error) {
    // Our client refuses, before sending, a name no request can carry (empty, with a NUL).
    if (error instanceof TftpParseError) return false;
    assert.ok(error instanceof TransferError, `the upload failed with ${String(error)}`);
    assert.ok(file !== issued || spent || before !== undefined, `an upload to the issued name was refused: ${error.message}`);
    return file === issued;
  }
  assert.equal(file, issued, `an upload to ${JSON.stringify(file)}, a name the server never issued, was accepted`);
  assert.equal(before, undefined, 'an issued name was written twice');
  assert.ok(!spent, 'an issued name took a second write request');
  assert.deepEqual(await landed(), Buffer.from(s.bytes), 'the upload landed whole');
  return true;
}

async function check(bed: TftpBed, steps: Step[]): Promise<void> {
  const issued = bed.server.issueWriteName('fuzz');
  bed.issued.add(issued);
  const peer = await UdpPeer.open();
  let transferPort: number | undefined;
  let spent = false;
  try {
    for (const s of steps) {
      if (s.kind === 'upload') {
        if (await upload(bed, s, issued, spent)) spent = true;
        continue;
      }
      // A write request the server takes up (it parses, in octet mode) uses the issued name up, whether or
      // not its transfer then succeeds.
      if (s.kind === 'request' && s.opcode === 2 && s.file === issuedName && takenUp(encode(s, issued), issued)) spent = true;
      const toTransfer = s.kind !== 'request' && s.toTransfer && transferPort !== undefined;
      await peer.send(encode(s, issued), toTransfer ? transferPort! : bed.server.port);
      const reply = await peer.next(15);
      if (reply && reply.port !== bed.server.port) transferPort = reply.port;
    }
  } finally {
    peer.close();
  }
  await validRead(bed);
  await checkFiles(bed);
  // An upload that reached the issued name is legitimate; clear it so the root stays small.
  await unlink(join(bed.root, issued)).catch(() => undefined);
  bed.server.revokeWriteName(issued);
}

export const tftpServerTarget = fuzzTarget({
  name: 'tftp-server',
  description: 'random datagrams, requests with fuzzed names/modes/options and fuzzed transfer packets to a real TFTP server',
  defaultInputs: 20_000,
  open,
  property: (bed: TftpBed) => fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 5 }), (steps) => check(bed, steps)),
  close: async (bed: TftpBed) => {
    await bed.server.close();
    await rm(bed.dir, { recursive: true, force: true });
  },
});
