// Run options and the FTP passive ports on the command line: a bad value is a usage error (exit 2)
// before anything starts, with the one syntax every command shares.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli-process.ts';

test('bad FTP passive ports, time limits and transports are usage errors', async () => {
  for (const args of [
    ['serve', '--ftp-passive-ports', '5000-4000'],
    ['serve', '--ftp-passive-ports', '80-90'],
    ['serve', '--ftp-passive-ports', '30000'],
    ['serve', '--ftp-passive-ports', '30000-70000'],
    ['serve', '--time-limits', 'backup=0'],
    ['serve', '--time-limits', 'reboot=30'],
    ['serve', '--transport', 'scp'],
    ['upgrade', 'dev-1', '--image', 'ab'.repeat(32), '--time-limits', 'download:900'],
    ['upgrade', 'dev-1', '--image', 'ab'.repeat(32), '--transport', 'http'],
    ['backup', 'dev-1', '--transport', 'http'],
  ]) {
    const result = await runCli(args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
  }
  const result = await runCli(['serve', '--ftp-passive-ports', '5000-4000']);
  assert.match(result.stderr, /FROM-TO/);
});

test('every new flag is in the help of its command', async () => {
  const help = async (...args: string[]) => (await runCli([...args, '--help'])).stdout;
  assert.match(await help('serve'), /--ftp-passive-ports[\s\S]*--transport[\s\S]*--time-limits/);
  assert.match(await help('upgrade'), /--transport[\s\S]*--time-limits[\s\S]*--reinstall/);
  assert.match(await help('campaign', 'create'), /--transport[\s\S]*--time-limits[\s\S]*--reinstall/);
  assert.match(await help('device', 'add'), /--transport/);
});
