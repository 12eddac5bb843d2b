// What one image download costs each side in CPU: our TFTP server in this process, our client in a
// child process fetching one file over and over, several at once (a wave of devices fetching one
// image). Prints CPU milliseconds per transfer for the server (user and system) and the client, over
// a few rounds, with the command. A steadier figure than the fleet bench's, which shares two cores
// with a whole fleet: this one isolates what a manager spends serving an image.
//
//   node --import tsx bench/tftp-cost.ts [--transfers 200] [--kib 1024] [--parallel 8] [--blksize 1468] [--windowsize 16] [--rounds 3]
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MemorySink } from '../src/protocol/tftp/block-sink.ts';
import { tftpReceive } from '../src/protocol/tftp/client.ts';
import { TftpServer } from '../src/protocol/tftp/server.ts';
import { integerArg } from './fixtures/args.ts';

const fileName = 'image.bin';

interface ClientReport {
  cpuMs: number;
}

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    transfers: { type: 'string', default: '200' },
    kib: { type: 'string', default: '1024' },
    parallel: { type: 'string', default: '8' },
    blksize: { type: 'string', default: '1468' },
    windowsize: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '3' },
    port: { type: 'string' },
  },
});
const transfers = integerArg('transfers', args.transfers, 1, 100_000);
const parallel = integerArg('parallel', args.parallel, 1, 64);
const blksize = integerArg('blksize', args.blksize, 8, 65464);
const windowsize = integerArg('windowsize', args.windowsize, 1, 256);

if (positionals[0] === 'client') {
  // The child: fetch the file `transfers` times, `parallel` at a time, and report its own CPU.
  const port = integerArg('port', args.port, 1, 65535);
  const started = process.cpuUsage();
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (; next < transfers; next++) {
        await tftpReceive({ server: '127.0.0.1', port, file: fileName, localAddress: '127.0.0.1', blksize, windowsize }, new MemorySink());
      }
    }),
  );
  const used = process.cpuUsage(started);
  process.send?.({ cpuMs: (used.user + used.system) / 1000 } satisfies ClientReport);
} else {
  const kib = integerArg('kib', args.kib, 1, 64 * 1024);
  const rounds = integerArg('rounds', args.rounds, 1, 20);
  const root = mkdtempSync(join(tmpdir(), 'sf-bench-tftp-cost-'));
  writeFileSync(join(root, fileName), randomBytes(kib * 1024));
  const server = new TftpServer({ root, address: '127.0.0.1' });
  await server.start();
  const perTransfer = (ms: number) => (ms / transfers).toFixed(2);
  try {
    for (let round = 1; round <= rounds; round++) {
      const started = process.cpuUsage();
      const wall = Date.now();
      const client = fork(import.meta.filename, ['client', ...process.argv.slice(2), '--port', String(server.port)], {
        execArgv: ['--import', 'tsx'],
      });
      const report = await new Promise<ClientReport>((resolve, reject) => {
        client.once('message', (message) => resolve(message as ClientReport));
        client.once('exit', (code) => reject(new Error(`the client exited with ${code} before reporting`)));
      });
      await new Promise((resolve) => client.once('exit', resolve));
      const used = process.cpuUsage(started);
      process.stdout.write(
        `round ${round}: ${transfers} transfers of ${kib} KiB (blksize ${blksize}, windowsize ${windowsize}, ${parallel} at once) in ${((Date.now() - wall) / 1000).toFixed(1)} s; ` +
          `CPU per transfer: server ${perTransfer((used.user + used.system) / 1000)} ms (user ${perTransfer(used.user / 1000)}, system ${perTransfer(used.system / 1000)}), client ${perTransfer(report.cpuMs)} ms\n`,
      );
    }
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
  process.stdout.write(`$ node --import tsx bench/tftp-cost.ts ${process.argv.slice(2).join(' ')}\n`);
}
