import { test } from 'node:test';
import { tftpServerTarget } from '../../bench/fuzz/tftp-server.ts';
import { assertCleanRound } from '../helpers/fuzz-round.ts';

test('tftp-server: 400 seeded inputs on a real socket, no failure', async () => {
  await assertCleanRound(tftpServerTarget, 400);
});
