import { test } from 'node:test';
import { notificationReceiverTarget } from '../../bench/fuzz/notification-receiver.ts';
import { assertCleanRound } from '../helpers/fuzz-round.ts';

test('notification-receiver: 500 seeded notifications and decoder inputs, no failure', async () => {
  await assertCleanRound(notificationReceiverTarget, 500);
});
