import { test } from 'node:test';
import { configTarget } from '../../bench/fuzz/config.ts';
import { assertCleanRound } from '../helpers/fuzz-round.ts';

test('config: 2000 seeded inputs, no failure', async () => {
  await assertCleanRound(configTarget, 2000);
});
