// Times on the command line: ISO 8601 with a zone, or a duration back from now; anything else is a usage error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { parseTimeOption } from '../../src/interfaces/cli/time-option.ts';

const now = new Date('2026-05-02T12:00:00Z');

test('durations count back from now', () => {
  assert.equal(parseTimeOption('24h', now).toISOString(), '2026-05-01T12:00:00.000Z');
  assert.equal(parseTimeOption('90s', now).toISOString(), '2026-05-02T11:58:30.000Z');
  assert.equal(parseTimeOption('30m', now).toISOString(), '2026-05-02T11:30:00.000Z');
  assert.equal(parseTimeOption('7d', now).toISOString(), '2026-04-25T12:00:00.000Z');
  assert.equal(parseTimeOption('2w', now).toISOString(), '2026-04-18T12:00:00.000Z');
});

test('ISO 8601 times with their zone, or a date alone', () => {
  assert.equal(parseTimeOption('2026-05-01T08:00:00Z', now).toISOString(), '2026-05-01T08:00:00.000Z');
  assert.equal(parseTimeOption('2026-05-01T08:00:00+02:00', now).toISOString(), '2026-05-01T06:00:00.000Z');
  assert.equal(parseTimeOption('2026-05-01', now).toISOString(), '2026-05-01T00:00:00.000Z');
});

test('anything else is refused', () => {
  for (const value of ['yesterday', '24x', '-1h', '2026-05-01T08:00:00', '2026-13-01T00:00:00Z', '', 'h']) {
    assert.throws(() => parseTimeOption(value, now), InvalidArgumentError, value);
  }
});
