// The API fuzz round against one real manager, and what earlier rounds found, kept as plain regressions.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type ApiBed, httpApiTarget, openApiBed } from '../../bench/fuzz/http-api.ts';
import { assertCleanRound } from '../helpers/fuzz-round.ts';

let bed: ApiBed;
before(async () => {
  bed = await openApiBed();
});
after(async () => {
  await httpApiTarget.close(bed);
});

test('a NUL in a path, a query or a body is bad input (400), not a server error, and changes nothing', async () => {
  const auth = { authorization: `Bearer ${bed.token}` };
  const requests: Array<[string, string, string?]> = [
    ['DELETE', '/api/tokens/%00'],
    ['DELETE', '/api/tokens/a%00b'],
    ['GET', '/api/runs/%00'],
    ['GET', '/api/devices/unit%00'],
    ['GET', '/api/runs?device=%00'],
    ['POST', '/api/devices', JSON.stringify({ address: '127.9.0.2', name: 'nul\u0000name' })],
  ];
  for (const [method, path, body] of requests) {
    const headers: Record<string, string> = { ...auth, ...(body ? { 'content-type': 'application/json' } : {}) };
    const response = await fetch(`${bed.manager.url}${path}`, { method, headers, ...(body ? { body } : {}) });
    assert.equal(response.status, 400, `${method} ${path}: ${await response.text()}`);
  }
  const devices = (await (await fetch(`${bed.manager.url}/api/devices`, { headers: auth })).json()) as unknown[];
  assert.equal(devices.length, 1, 'nothing was added');
  const tokens = (await (await fetch(`${bed.manager.url}/api/tokens`, { headers: auth })).json()) as Array<{ revokedAt: string | null }>;
  assert.ok(
    tokens.every((t) => t.revokedAt === null),
    'no token was revoked',
  );
});

test('http-api: 150 seeded requests from the OpenAPI document, no failure', async () => {
  await assertCleanRound(httpApiTarget, 150, bed);
});
