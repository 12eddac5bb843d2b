import { test } from 'node:test';
import { ftpServerTarget } from '../../bench/fuzz/ftp-server.ts';
import { assertCleanRound } from '../helpers/fuzz-round.ts';

test('ftp-server: 60 seeded command sequences on a real control port, no failure', async () => {
  await assertCleanRound(ftpServerTarget, 60);
});
