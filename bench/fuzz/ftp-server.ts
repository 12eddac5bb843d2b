// The FTP file server (src/protocol/ftp) on a real loopback control port: fuzzed command lines before
// and after logging in with credentials it issued (for a read or a write), including commands it does
// not take, traversal in arguments, long lines and stray bytes. After each input the server still serves
// a valid download, its root holds only the served file and names it issued, and nothing outside the
// root has changed.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ftpGet } from '../../src/protocol/ftp/client.ts';
import { FtpFileServer, type IssuedCredentials } from '../../src/protocol/ftp/server.ts';
import { fuzzTarget } from './target.ts';

const servedName = 'served.bin';
const servedBytes = Buffer.from('served over FTP\n'.repeat(50));
const outsideBytes = Buffer.from('outside the root\n');

const commandWord = fc.oneof(
  fc.constantFrom('USER', 'PASS', 'QUIT', 'NOOP', 'SYST', 'FEAT', 'OPTS', 'TYPE', 'STRU', 'MODE', 'PWD', 'XPWD', 'CWD', 'PASV', 'EPSV', 'SIZE', 'RETR', 'STOR'),
  fc.constantFrom('LIST', 'NLST', 'DELE', 'RNFR', 'RNTO', 'MKD', 'RMD', 'APPE', 'STOU', 'SITE', 'ABOR', 'REST', 'MDTM', 'MLSD', 'AUTH', 'HELP', 'ALLO', 'CDUP'),
  fc.string({ unit: 'binary-ascii', maxLength: 6 }),
);
const argument = fc.oneof(
  fc.constantFrom('', servedName, `../${servedName}`, '../outside.txt', '/etc/passwd', '..', '/', 'I', 'A', 'E', 'UTF8 ON', '<issued>', '<user>', '<password>'),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  fc.integer({ min: 200, max: 5000 }).map((n) => 'a'.repeat(n)),
);
/** Commands that would make the server open a data connection where the line says: aimed at loopback only. */
const active = fc.oneof(
  fc.integer({ min: 1024, max: 65535 }).map((p) => `PORT 127,0,0,1,${p >> 8},${p & 0xff}`),
  fc.integer({ min: 1024, max: 65535 }).map((p) => `EPRT |1|127.0.0.1|${p}|`),
);
const line = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(commandWord, argument)
      .filter(([word]) => !/^(PORT|EPRT|LPRT)$/i.test(word.trim()))
      .map(([w, a]) => (a ? `${w} ${a}` : w)),
  },
  active,
);
const input = fc.record({
  login: fc.constantFrom('none', 'read', 'write', 'wrongPassword'),
  lines: fc.array(line, { minLength: 1, maxLength: 8 }),
  ending: fc.constantFrom('\r\n', '\n', '\r', '\u0000\r\n'),
});
type Input = typeof input extends fc.Arbitrary<infer V> ? V : never;

interface FtpBed {
  dir: string;
  root: string;
  server: FtpFileServer;
  issued: Set<string>;
  uploads: number;
}

async function open(): Promise<FtpBed> {
  const dir = await mkdtemp(join(tmpdir(), 'sf-fuzz-ftp-'));
  const root = join(dir, 'root');
  await mkdir(root);
  await writeFile(join(root, servedName), servedBytes);
  await writeFile(join(dir, 'outside.txt'), outsideBytes);
  const server = await FtpFileServer.start({ root, address: '127.0.0.1', port: 0, maxUploadBytes: 64 * 1024, idleTimeoutMs: 5000 });
  return { dir, root, server, issued: new Set(), uploads: 0 };
}

/** A control connection that collects what the server says; every wait is bounded. */
async function control(bed: FtpBed): Promise<{ socket: Socket; said: () => string; quiet: (ms: number) => Promise<void> }> {
  const socket = connect({ host: '127.0.0.1', port: bed.server.port, localAddress: '127.0.0.1' });
  let text = '';
  let changed: (() => void) | undefined;
  socket.on('data', (chunk) => {
    text += chunk.toString('latin1');
    changed?.();
  });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const quiet = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      changed = () => {
        clearTimeout(timer);
        changed = undefined;
        resolve();
      };
    });
  await quiet(500);
  return { socket, said: () => text, quiet };
}

async function check(bed: FtpBed, value: Input): Promise<void> {
  bed.uploads += 1;
  const uploadName = `upload-${bed.uploads}.bin`;
  bed.issued.add(uploadName);
  const credentials: IssuedCredentials | undefined =
    value.login === 'read'
      ? bed.server.issueTransfer({ mode: 'read', file: servedName })
      : value.login === 'none'
        ? undefined
        : bed.server.issueTransfer({ mode: 'write', file: uploadName });
  const c = await control(bed);
  try {
    const fill = (text: string) =>
      text
        .replaceAll('<issued>', uploadName)
        .replaceAll('<user>', credentials?.username ?? 'anonymous')
        .replaceAll('<password>', credentials?.password ?? 'x');
    const lines = credentials
      ? [`USER ${credentials.username}`, `PASS ${value.login === 'wrongPassword' ? `${credentials.password}x` : credentials.password}`, ...value.lines]
      : value.lines;
    for (const l of lines) {
      if (c.socket.destroyed) break;
      c.socket.write(Buffer.from(fill(l) + value.ending, 'latin1'));
      await c.quiet(30);
    }
  } finally {
    c.socket.destroy();
  }
  if (credentials) bed.server.revokeTransfer(credentials.username);
  await serves(bed);
  await checkFiles(bed);
  await unlink(join(bed.root, uploadName)).catch(() => undefined);
}

async function serves(bed: FtpBed): Promise<void> {
  const credentials = bed.server.issueTransfer({ mode: 'read', file: servedName });
  const got = await ftpGet({
    protocol: 'ftp',
    server: '127.0.0.1',
    port: bed.server.port,
    file: servedName,
    username: credentials.username,
    password: credentials.password,
    localAddress: '127.0.0.1',
  });
  assert.deepEqual(got, servedBytes, 'a valid download returns the served file');
}

async function checkFiles(bed: FtpBed): Promise<void> {
  assert.deepEqual((await readdir(bed.dir)).sort(), ['outside.txt', 'root'], 'nothing was written outside the root');
  assert.deepEqual(await readFile(join(bed.dir, 'outside.txt')), outsideBytes);
  assert.deepEqual(await readFile(join(bed.root, servedName)), servedBytes, 'the served file is unchanged');
  for (const entry of await readdir(bed.root)) {
    if (entry === servedName) continue;
    assert.ok(
      [...bed.issued].some((name) => entry === name || (entry.startsWith(`.${name}`) && entry.endsWith('.part'))),
      `the root holds ${JSON.stringify(entry)}, a name the server never issued`,
    );
  }
}

export const ftpServerTarget = fuzzTarget({
  name: 'ftp-server',
  description: 'fuzzed FTP command lines, before and after logging in with issued credentials, to a real server',
  defaultInputs: 5_000,
  open,
  property: (bed: FtpBed) => fc.asyncProperty(input, (value) => check(bed, value)),
  close: async (bed: FtpBed) => {
    await bed.server.close();
    await rm(bed.dir, { recursive: true, force: true });
  },
});
