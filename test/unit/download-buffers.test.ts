// Download buffers are lent and given back: a buffer given back carries the next download of about its
// size, once; anything the module did not lend, or lent and got back already, is never handed out twice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lendBuffer, releaseDownload } from '../../src/protocol/tftp/download-buffers.ts';

const size = 1024 * 1024 + 123;

test('a buffer given back carries the next download of about its size', () => {
  const first = lendBuffer(size);
  assert.equal(first.length, size);
  releaseDownload(first.subarray(0, 10));
  const second = lendBuffer(size - 1000);
  assert.equal(second.length, size - 1000);
  assert.equal(second.buffer, first.buffer);
  const third = lendBuffer(size);
  assert.notEqual(third.buffer, first.buffer);
});

test('a buffer given back twice is lent once', () => {
  const lent = lendBuffer(size);
  releaseDownload(lent);
  releaseDownload(lent);
  const a = lendBuffer(size);
  const b = lendBuffer(size);
  assert.equal(a.buffer, lent.buffer);
  assert.notEqual(b.buffer, lent.buffer);
});

test('buffers the module did not lend, and small ones, are never kept', () => {
  const foreign = Buffer.allocUnsafeSlow(size);
  releaseDownload(foreign);
  assert.notEqual(lendBuffer(size).buffer, foreign.buffer);
  const small = lendBuffer(100);
  releaseDownload(small);
  assert.equal(small.length, 100);
});

test('a buffer much larger than asked is not lent for a small download', () => {
  const large = lendBuffer(4 * size);
  releaseDownload(large);
  assert.notEqual(lendBuffer(size).buffer, large.buffer);
  assert.equal(lendBuffer(4 * size).buffer, large.buffer);
});

test('buffers no download took for a while are let go', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const lent = lendBuffer(size);
  releaseDownload(lent);
  t.mock.timers.tick(30_000);
  assert.notEqual(lendBuffer(size).buffer, lent.buffer);
});
