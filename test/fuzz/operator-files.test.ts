import { test } from 'node:test';
import { operatorFilesTarget } from '../../bench/fuzz/operator-files.ts';
import { assertCleanRound } from '../helpers/fuzz-round.ts';

test('operator-files: 2000 seeded inputs, no failure', async () => {
  await assertCleanRound(operatorFilesTarget, 2000);
});
