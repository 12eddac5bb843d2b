// The API's front thread (src/interfaces/http/front/): a manager in this process, its thread held
// still while another process asks the API (spawnSync blocks this thread until the child ends). The
// campaigns' list and page are answered by the front all the same; a route the front passes on waits
// for the manager's thread. What the front answers is counted in /metrics and logged through the
// manager's logger; the manager's own API listens on a socket only its user may open, gone at stop.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import type { ServedManager } from '../../src/interfaces/http/serve.ts';
import { operatorToken, startLoopbackManager } from '../helpers/loopback-lab.ts';

let dir: string;
let manager: ServedManager;
let token: string;
const logLines: string[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sf-front-'));
  await chmod(dir, 0o755);
  const lines = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(...String(chunk).trim().split('\n'));
      done();
    },
  });
  manager = await startLoopbackManager(dir, { trustedKeyFiles: [], logger: pino({ level: 'info' }, lines) });
  token = await operatorToken(manager);
});

after(async () => {
  await manager?.stop();
  await rm(dir, { recursive: true, force: true });
});

/**
 * GET `path` from another process while this thread, the manager's, waits for that process to end:
 * the status, or 'no answer' when none came within `waitMs`.
 */
function getWhileManagerHeld(path: string, waitMs: number): { status: number | 'no answer'; body: string } {
  const script = `
    fetch(process.argv[1], { headers: { authorization: 'Bearer ' + process.argv[2] }, signal: AbortSignal.timeout(Number(process.argv[3])) })
      .then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.text() })))
      .catch(() => console.log(JSON.stringify({ status: 'no answer', body: '' })));`;
  const child = spawnSync(process.execPath, ['-e', script, `${manager.url}${path}`, token, String(waitMs)], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout) as { status: number | 'no answer'; body: string };
}

test("the campaigns' list and page are answered while the manager's thread is held; other routes wait for it", () => {
  const list = getWhileManagerHeld('/api/campaigns', 60_000);
  assert.equal(list.status, 200, list.body);
  assert.deepEqual(JSON.parse(list.body), []);

  const unknown = getWhileManagerHeld('/api/campaigns/campaign-404?limit=10', 60_000);
  assert.equal(unknown.status, 404, unknown.body);
  assert.match(JSON.parse(unknown.body).error, /no campaign "campaign-404"/);

  const refused = getWhileManagerHeld('/api/campaigns/campaign-1?limit=0', 60_000);
  assert.equal(refused.status, 400, 'the front validates its routes as the manager does');

  // Passed on to the manager, whose thread is held: no answer until it is free again.
  assert.equal(getWhileManagerHeld('/api/devices', 1_500).status, 'no answer');
});

test("what the front answers is counted in /metrics and logged through the manager's logger", async () => {
  const authorization = { authorization: `Bearer ${token}` };
  assert.equal((await fetch(`${manager.url}/api/campaigns?limit=5`, { headers: authorization })).status, 200);
  const metrics = await (await fetch(`${manager.url}/metrics`, { headers: authorization })).text();
  const counted = metrics
    .split('\n')
    .find((line) => line.startsWith('safeflash_http_requests_total') && line.includes('route="/api/campaigns"') && line.includes('status="200"'));
  assert.ok(counted, "the front's answers are in the manager's request counter");
  assert.ok(Number(counted.split(' ').at(-1)) >= 1);

  const logged = logLines
    .map((line) => JSON.parse(line))
    .find((entry) => entry.thread === 'api-front' && entry.msg === 'request completed' && entry.req?.url === '/api/campaigns?limit=5');
  assert.ok(logged, 'a line for the request the front answered');
  assert.equal(logged.res.statusCode, 200);
});

test('the manager names the client by its address, not by an X-Forwarded-For the client wrote', async () => {
  const answer = await fetch(`${manager.url}/api/devices?forged=1`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': '192.0.2.7' } });
  assert.equal(answer.status, 200, 'passed on to the manager');
  const logged = logLines.map((line) => JSON.parse(line)).find((entry) => entry.thread === undefined && entry.req?.url === '/api/devices?forged=1');
  assert.ok(logged, "the manager's line for the request");
  assert.equal(logged.req.remoteAddress, '127.0.0.1');
});

test("the manager's own API listens on a socket only its user may open, removed when the manager stops", async () => {
  const socket = join(dir, 'manager', 'api.sock');
  assert.ok(statSync(socket).isSocket());
  assert.equal(statSync(socket).mode & 0o777, 0o600);
  await manager.stop();
  assert.equal(existsSync(socket), false);
});
