// The API's guard against NUL characters looks into text (paths, queries, JSON bodies), never into a
// binary body: an image is made of bytes, NUL among them, and is checked by its own rules.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { holdsNul } from '../../src/interfaces/http/nul-guard.ts';

test('NUL characters are found in strings, keys and nested JSON values', () => {
  assert.equal(holdsNul('a\u0000b'), true);
  assert.equal(holdsNul({ name: 'lab', tags: ['x', 'y\u0000'] }), true);
  assert.equal(holdsNul({ 'k\u0000': 1 }), true);
  assert.equal(holdsNul({ name: 'lab', tags: ['x'], count: 0 }), false);
});

test('a binary body is not walked entry by entry', () => {
  const image = Buffer.from([0x53, 0x46, 0x00, 0x00, 0x01]);
  // A walk of the body's entries would read this property and fail.
  Object.defineProperty(image, 'walked', {
    enumerable: true,
    get: () => assert.fail('the guard walked a binary body'),
  });
  assert.equal(holdsNul(image), false);
  assert.equal(holdsNul(new Uint8Array([0, 0, 0])), false);
});
