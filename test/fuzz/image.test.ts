import { test } from 'node:test';
import { imageTarget } from '../../bench/fuzz/image.ts';
import { assertCleanRound } from '../helpers/fuzz-round.ts';

test('image: 2000 seeded inputs, no failure', async () => {
  await assertCleanRound(imageTarget, 2000);
});
