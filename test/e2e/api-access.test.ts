// Who may use the manager's API, against a real manager (embedded PostgreSQL): every route refuses a
// request without a token, with a malformed, unknown or revoked one (401); a viewer token reads and
// is refused every route that acts (403); tokens are created, listed and revoked, their secrets
// shown once and never again; the bootstrap operator token file; the OpenAPI document lists every
// registered route with its security. No answer ever holds a device's credentials.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ServedManager } from '../../src/interfaces/http/serve.ts';
import { testUser } from '../helpers/snmp-device.ts';
import { operatorToken, startLoopbackManager } from '../helpers/loopback-lab.ts';

const community = 'sekret-community-4711';
const secrets = [testUser.authKey, testUser.privKey, community];

let dir: string;
let manager: ServedManager;
let operator: string;

interface Answer {
  status: number;
  text: string;
  json: any;
  headers: Headers;
}

/** Every answer is searched for credentials: none may ever leave the manager. */
function assertNoCredentials(text: string): void {
  for (const secret of secrets) assert.ok(!text.includes(secret), `an answer holds a credential: ${text.slice(0, 200)}`);
}

async function call(method: string, path: string, options: { token?: string | null; body?: unknown; contentType?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? operator : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] = options.contentType ?? 'application/json';
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  }
  const controller = new AbortController();
  const response = await fetch(`${manager.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}), signal: controller.signal });
  // The event stream never ends on its own: its status and first bytes are enough.
  const text = response.headers.get('content-type')?.startsWith('text/event-stream') ? abortedStream(controller) : await response.text();
  assertNoCredentials(text);
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json, headers: response.headers };
}

/** Fastify's route tree (printRoutes) as [method, path] pairs: what the server really serves. */
function registeredRoutes(tree: string): Array<[string, string]> {
  const routes: Array<[string, string]> = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│├└─\s]*)(\S.*?) \(([A-Z, ]+)\)$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    stack.push(match[2]!);
    const path = stack.join('');
    for (const method of match[3]!.split(', ')) if (method !== 'HEAD') routes.push([method, path]);
  }
  return routes;
}

/** A concrete URL for a documented path: every parameter filled with a value that names nothing. */
function concrete(path: string): string {
  return path.replace(/\{sha256\}/g, '0'.repeat(64)).replace(/\{[^}]+\}/g, 'nothing-here');
}

async function documentedOperations(): Promise<Array<{ method: string; path: string; security: unknown }>> {
  const doc = (await call('GET', '/openapi.json', { token: null })).json;
  return Object.entries(doc.paths as Record<string, Record<string, { security: unknown }>>).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, op]) => ({ method: method.toUpperCase(), path, security: op.security })),
  );
}

const protectedPath = (path: string) => path.startsWith('/api/') || path === '/metrics';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sf-access-'));
  await chmod(dir, 0o755);
  // No trusted vendor key: images cannot be added, as on a manager started without --trusted-key.
  manager = await startLoopbackManager(dir, { trustedKeyFiles: [] });
  operator = await operatorToken(manager);
  // Devices with credentials, so that a leak would have something to show.
  assert.equal(
    (
      await call('POST', '/api/devices', {
        body: { address: '127.0.77.1', name: 'v3-device', v3User: testUser.name, authKey: testUser.authKey, privKey: testUser.privKey },
      })
    ).status,
    201,
  );
  assert.equal((await call('POST', '/api/devices', { body: { address: '127.0.77.2', name: 'v2c-device', community } })).status, 201);
});

after(async () => {
  await manager?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the bootstrap operator token', () => {
  test('is written on first start to <dataDir>/operator.token, readable by its owner only', async () => {
    assert.equal(manager.operatorTokenFile, join(dir, 'manager', 'operator.token'));
    assert.equal((await stat(manager.operatorTokenFile)).mode & 0o777, 0o600);
    assert.match(operator, /^sf\.[0-9]+\.[A-Za-z0-9_-]{43}$/);
    const self = await call('GET', '/api/tokens/current');
    assert.equal(self.status, 200, self.text);
    assert.equal(self.json.role, 'operator');
    assert.equal(self.json.name, 'bootstrap');
  });
});

describe('requests without a valid token are refused (401)', () => {
  test('no token, on every protected route the server serves', async () => {
    const operations = await documentedOperations();
    const checked = operations.filter((o) => protectedPath(o.path));
    assert.ok(checked.length >= 20, `${checked.length} protected operations`);
    for (const { method, path } of checked) {
      const answer = await call(method, concrete(path), { token: null, ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }) });
      assert.equal(answer.status, 401, `${method} ${path}: ${answer.text}`);
      assert.match(answer.json.error, /no API token/);
      assert.equal(answer.headers.get('www-authenticate'), 'Bearer realm="safeflash"');
    }
  });

  test('a path under /api/ that does not exist needs a token too; /openapi.json does not', async () => {
    assert.equal((await call('GET', '/api/no-such-thing', { token: null })).status, 401);
    assert.equal((await call('GET', '/api/no-such-thing')).status, 404);
    assert.equal((await call('GET', '/openapi.json', { token: null })).status, 200);
  });

  test('malformed, unknown and forged tokens', async () => {
    const [, id, secret] = operator.split('.');
    const forged = secret!.slice(0, -1) + (secret!.endsWith('A') ? 'B' : 'A');
    for (const token of ['nonsense', `sf.${id}.${forged}`, `sf.999999.${secret}`, `sf.${id}.`, `${operator}x`, operator.toUpperCase()]) {
      const answer = await call('GET', '/api/devices', { token });
      assert.equal(answer.status, 401, `${token}: ${answer.text}`);
      assert.match(answer.json.error, /not valid/);
    }
    const lowerScheme = await fetch(`${manager.url}/api/devices`, { headers: { authorization: `bearer ${operator}` } });
    assert.equal(lowerScheme.status, 200, 'the scheme is case-insensitive');
    const basic = await fetch(`${manager.url}/api/devices`, { headers: { authorization: `Basic ${Buffer.from(`x:${operator}`).toString('base64')}` } });
    assert.equal(basic.status, 401, 'only bearer tokens');
  });

  test('a token in the query string counts on the event stream only', async () => {
    assert.equal((await call('GET', `/api/devices?token=${operator}`, { token: null })).status, 401);
    const events = await call('GET', `/api/events?token=${operator}`, { token: null });
    assert.equal(events.status, 200);
    assert.equal((await call('GET', '/api/events?token=nonsense', { token: null })).status, 401);
  });
});

describe('roles', () => {
  let viewer: string;

  before(async () => {
    const created = await call('POST', '/api/tokens', { body: { name: 'dashboard-viewer', role: 'viewer' } });
    assert.equal(created.status, 201, created.text);
    viewer = created.json.token;
  });

  test('a viewer reads every GET route it is shown, and /metrics', async () => {
    for (const { method, path } of (await documentedOperations()).filter((o) => o.method === 'GET' && protectedPath(o.path))) {
      const answer = await call(method, concrete(path), { token: viewer });
      assert.ok(answer.status !== 401 && answer.status !== 403, `${method} ${path}: ${answer.status} ${answer.text}`);
    }
    assert.equal((await call('GET', '/api/devices', { token: viewer })).json.length, 2);
    const metrics = await call('GET', '/metrics', { token: viewer });
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /safeflash_http_requests_total/);
  });

  test('a viewer is refused (403) on every route that acts, and nothing changes', async () => {
    const acting = (await documentedOperations()).filter((o) => o.method !== 'GET' && protectedPath(o.path));
    assert.ok(acting.length >= 12, `${acting.length} acting operations`);
    for (const { method, path } of acting) {
      const answer = await call(method, concrete(path), { token: viewer, ...(method === 'DELETE' ? {} : { body: {} }) });
      assert.equal(answer.status, 403, `${method} ${path}: ${answer.text}`);
      assert.match(answer.json.error, /viewer token may only read/);
    }
    // With bodies that would be accepted from an operator.
    assert.equal((await call('POST', '/api/devices', { token: viewer, body: { address: '127.0.77.3' } })).status, 403);
    assert.equal((await call('DELETE', '/api/devices/v3-device', { token: viewer })).status, 403);
    assert.equal((await call('POST', '/api/tokens', { token: viewer, body: { name: 'escalate', role: 'operator' } })).status, 403);
    assert.equal((await call('DELETE', '/api/tokens/bootstrap', { token: viewer })).status, 403);
    assert.equal((await call('GET', '/api/devices')).json.length, 2);
    assert.equal((await call('GET', '/api/tokens')).json.filter((t: { revokedAt: string | null }) => t.revokedAt === null).length, 2);
  });

  test('an operator token acts', async () => {
    const added = await call('POST', '/api/devices', { body: { address: '127.0.77.4', name: 'added-by-operator', community } });
    assert.equal(added.status, 201, added.text);
    assert.equal((await call('DELETE', '/api/devices/added-by-operator')).status, 200);
  });
});

describe('/api/tokens', () => {
  test('a created token is shown once: listed without its secret or digest, and it works', async () => {
    const created = await call('POST', '/api/tokens', { body: { name: 'ci-robot', role: 'operator' } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.name, 'ci-robot');
    assert.equal(created.json.role, 'operator');
    assert.equal(created.json.revokedAt, null);
    const secret = created.json.token.split('.')[2] as string;
    const list = await call('GET', '/api/tokens');
    assert.equal(list.status, 200);
    const listed = list.json.find((t: { name: string }) => t.name === 'ci-robot');
    assert.deepEqual(Object.keys(listed).sort(), ['createdAt', 'id', 'lastUsedAt', 'name', 'revokedAt', 'role']);
    assert.ok(!list.text.includes(secret) && !/sha256|secret|"token"/.test(list.text), list.text);
    assert.equal((await call('GET', '/api/tokens/current', { token: created.json.token })).json.name, 'ci-robot');
    const used = (await call('GET', '/api/tokens')).json.find((t: { name: string }) => t.name === 'ci-robot');
    assert.notEqual(used.lastUsedAt, null, 'last use recorded');
  });

  test('revoked (by name or id), a token is refused from then on; its name is free again', async () => {
    const byName = (await call('POST', '/api/tokens', { body: { name: 'short-lived', role: 'viewer' } })).json;
    assert.equal((await call('GET', '/api/devices', { token: byName.token })).status, 200);
    const revoked = await call('DELETE', '/api/tokens/short-lived');
    assert.equal(revoked.status, 200, revoked.text);
    assert.notEqual(revoked.json.revokedAt, null);
    const refused = await call('GET', '/api/devices', { token: byName.token });
    assert.equal(refused.status, 401);
    assert.match(refused.json.error, /revoked/);

    const byId = await call('POST', '/api/tokens', { body: { name: 'short-lived', role: 'operator' } });
    assert.equal(byId.status, 201, 'the name of a revoked token can be used again');
    assert.equal((await call('DELETE', `/api/tokens/${byId.json.id}`)).status, 200);
    assert.equal((await call('GET', '/api/devices', { token: byId.json.token })).status, 401);
    const again = await call('DELETE', `/api/tokens/${byId.json.id}`);
    assert.equal(again.status, 200, 'revoking twice is harmless');
    assert.equal(again.json.revokedAt, (await call('GET', '/api/tokens')).json.find((t: { id: number }) => t.id === byId.json.id).revokedAt);
  });

  test('bad input is refused and creates nothing', async () => {
    const count = (await call('GET', '/api/tokens')).json.length;
    for (const [body, status] of [
      [{ name: 'no-role' }, 400],
      [{ role: 'viewer' }, 400],
      [{ name: 'x', role: 'admin' }, 400],
      [{ name: '123', role: 'viewer' }, 400],
      [{ name: 'has space', role: 'viewer' }, 400],
      [{ name: 'a'.repeat(65), role: 'viewer' }, 400],
      [{ name: 'extra', role: 'viewer', expires: 'never' }, 400],
      [{ name: 'ci-robot', role: 'viewer' }, 409],
      ['{"name": "broken', 400],
    ] as Array<[unknown, number]>) {
      const answer = await call('POST', '/api/tokens', { body });
      assert.equal(answer.status, status, `${JSON.stringify(body)}: ${answer.text}`);
      assert.equal(typeof answer.json.error, 'string');
    }
    assert.equal((await call('POST', '/api/tokens', { body: 'name=x&role=viewer', contentType: 'application/x-www-form-urlencoded' })).status, 415);
    assert.equal((await call('POST', '/api/tokens', { body: { name: 'big', role: 'viewer', pad: 'x'.repeat(2 * 1024 * 1024) } })).status, 413);
    assert.equal((await call('DELETE', '/api/tokens/no-such-token')).status, 404);
    assert.equal((await call('DELETE', '/api/tokens/424242')).status, 404);
    assert.equal((await call('GET', '/api/tokens')).json.length, count);
  });
});

describe('/openapi.json', () => {
  test('lists every route the server serves, each with its security', async () => {
    const operations = await documentedOperations();
    const documented = new Set(operations.map((o) => `${o.method} ${o.path}`));
    const served = registeredRoutes(manager.api.printRoutes({ commonPrefix: false }));
    assert.ok(served.length >= 25, `${served.length} routes`);
    for (const [method, path] of served) {
      const openApiPath = path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      assert.ok(documented.has(`${method} ${openApiPath}`), `${method} ${path} is not in /openapi.json`);
    }
    for (const { method, path, security } of operations) {
      assert.deepEqual(security, protectedPath(path) ? [{ bearerToken: [] }] : [], `${method} ${path}`);
    }
    const doc = (await call('GET', '/openapi.json', { token: null })).json;
    assert.equal(doc.components.securitySchemes.bearerToken.scheme, 'bearer');
    assert.ok(doc.paths['/api/tokens'].post.responses['403'], 'acting routes document the viewer refusal');
    assert.ok(!doc.paths['/api/tokens'].get.responses['403'], 'reading routes do not');
  });
});

/** Closes an event stream that would never end on its own; its body is not read. */
function abortedStream(controller: AbortController): string {
  controller.abort();
  return '';
}
