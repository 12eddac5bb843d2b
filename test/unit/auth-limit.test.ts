// Failed token attempts per client address: refused past the limit until the window ends, other
// addresses untouched, and never more addresses remembered than the bound.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FailedTokenAttempts } from '../../src/interfaces/http/auth-limit.ts';

test('an address is refused after `failures` within the window, until the window ends', () => {
  let now = 1_000_000;
  const attempts = new FailedTokenAttempts({ failures: 3, windowSeconds: 60 }, () => now);
  for (let i = 0; i < 2; i++) attempts.failed('127.0.0.2');
  assert.equal(attempts.refusedFor('127.0.0.2'), undefined);
  attempts.failed('127.0.0.2');
  assert.equal(attempts.refusedFor('127.0.0.2'), 60);
  assert.equal(attempts.refusedFor('127.0.0.3'), undefined, 'another address is not refused');
  now += 59_500;
  assert.equal(attempts.refusedFor('127.0.0.2'), 1);
  now += 500;
  assert.equal(attempts.refusedFor('127.0.0.2'), undefined, 'a new window');
  attempts.failed('127.0.0.2');
  assert.equal(attempts.refusedFor('127.0.0.2'), undefined);
});

test('the addresses remembered are bounded: the oldest are forgotten first', () => {
  const attempts = new FailedTokenAttempts({ failures: 1, maxClients: 100 });
  for (let i = 0; i < 1000; i++) attempts.failed(`10.0.${i >> 8}.${i & 255}`);
  assert.equal(attempts.size, 100);
  assert.equal(attempts.refusedFor('10.0.0.0'), undefined, 'the first forgotten');
  assert.ok(attempts.refusedFor('10.0.3.231') !== undefined, 'the last remembered');
});

test('limits must be positive integers', () => {
  assert.throws(() => new FailedTokenAttempts({ failures: 0 }), /failures must be a positive integer/);
  assert.throws(() => new FailedTokenAttempts({ windowSeconds: 1.5 }), /windowSeconds/);
});
