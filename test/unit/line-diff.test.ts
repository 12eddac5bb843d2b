// The line diff: applying it gives back both texts, and it finds the shortest set of changes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffLines, type DiffLine } from '../../src/common/line-diff.ts';

const side = (diff: DiffLine[], op: 'removed' | 'added') => diff.filter((line) => line.op !== op).map((line) => line.text);
const edits = (diff: DiffLine[]) => diff.filter((line) => line.op !== 'same').length;

test('a changed line between common ones is one removal and one addition', () => {
  const diff = diffLines(['a', 'b', 'c', 'd'], ['a', 'B', 'c', 'd', 'e']);
  assert.deepEqual(diff, [
    { op: 'same', text: 'a' },
    { op: 'removed', text: 'b' },
    { op: 'added', text: 'B' },
    { op: 'same', text: 'c' },
    { op: 'same', text: 'd' },
    { op: 'added', text: 'e' },
  ]);
});

test('empty sides, equal sides', () => {
  assert.deepEqual(diffLines([], []), []);
  assert.deepEqual(diffLines([], ['x']), [{ op: 'added', text: 'x' }]);
  assert.deepEqual(diffLines(['x'], []), [{ op: 'removed', text: 'x' }]);
  assert.equal(edits(diffLines(['p', 'q'], ['p', 'q'])), 0);
});

test('random texts: both sides come back, and no diff is longer than delete-all-then-add-all', () => {
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let round = 0; round < 200; round++) {
    const a = Array.from({ length: Math.floor(random() * 30) }, () => 'abcde'[Math.floor(random() * 5)]!);
    const b = Array.from({ length: Math.floor(random() * 30) }, () => 'abcde'[Math.floor(random() * 5)]!);
    const diff = diffLines(a, b);
    assert.deepEqual(side(diff, 'added'), a);
    assert.deepEqual(side(diff, 'removed'), b);
    assert.ok(edits(diff) <= a.length + b.length);
  }
  // The classic example has a shortest script of 5 edits.
  assert.equal(edits(diffLines([...'ABCABBA'], [...'CBABAC'])), 5);
});
