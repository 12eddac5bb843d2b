// The HTTP API of a real manager on loopback, driven from its own OpenAPI document (/openapi.json):
// every route and method, path parameters, queries and bodies built from each route's schema or random,
// malformed JSON and other media types, with no token, a forged one or the operator's. No answer is a
// 5xx, the manager keeps answering, and a refused request (4xx) leaves the inventory, runs, campaigns,
// images and tokens as they were.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ensureVendorSoftware } from '../../src/agent/vendor-key.ts';
import type { ServedManager } from '../../src/interfaces/http/serve.ts';
import { labModel, operatorToken, startLoopbackManager } from '../../test/helpers/loopback-lab.ts';
import { testUser } from '../../test/helpers/snmp-device.ts';
import { fuzzTarget } from './target.ts';

interface Route {
  path: string;
  method: string;
  pathParams: string[];
  query: Array<{ name: string; schema: Schema }>;
  body: Schema | undefined;
}

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
}

export interface ApiBed {
  dir: string;
  manager: ServedManager;
  token: string;
  routes: Route[];
  /** Listings compared before and after each refused request. */
  listings: string[];
  deviceName: string;
}

const methods = ['get', 'post', 'put', 'patch', 'delete'];

/** What this target reads of an OpenAPI operation. */
interface DocumentOperation {
  parameters?: Array<{ name: string; in: string; schema: Schema }>;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}
type OpenApiDocument = { paths: Record<string, Record<string, DocumentOperation>> };

function routesOf(document: OpenApiDocument): Route[] {
  const routes: Route[] = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      if (!methods.includes(method)) continue;
      const parameters = op.parameters ?? [];
      routes.push({
        path,
        method: method.toUpperCase(),
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        query: parameters.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        body: op.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return routes;
}

function valueFor(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const type = Array.isArray(schema?.type) ? schema?.type[0] : schema?.type;
  const wild = fc.jsonValue({ maxDepth: 2 });
  if (schema?.enum) return fc.oneof(fc.constantFrom(...schema.enum), wild);
  switch (type) {
    case 'string':
      return fc.oneof(
        fc.string({ maxLength: 30 }),
        fc.constantFrom('', 'unit-1', '127.0.0.1', 'tftp', '100%', 'x'.repeat(300), '../../etc/passwd', '\u0000'),
        wild,
      );
    case 'integer':
    case 'number':
      return fc.oneof(fc.integer(), fc.constantFrom(0, -1, 2 ** 53, 1.5), wild);
    case 'boolean':
      return fc.oneof(fc.boolean(), wild);
    case 'array':
      return depth > 2 ? wild : fc.oneof(fc.array(valueFor(schema?.items, depth + 1), { maxLength: 4 }), wild);
    case 'object':
      return depth > 2 ? wild : objectFor(schema, depth + 1);
    default:
      return wild;
  }
}

function objectFor(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const properties = Object.entries(schema?.properties ?? {});
  if (properties.length === 0) return fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 });
  return fc.record(Object.fromEntries(properties.map(([name, s]) => [name, valueFor(s, depth)])), { requiredKeys: [] });
}

const pathValue = fc.oneof(
  fc.constantFrom('unit-1', '1', '0', '-1', '99999999999999999999', 'x'.repeat(80), '..', '%2e%2e', '%00', 'a%2Fb', '127.0.0.1', '::1', 'ffffffffffffffff'),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
);

function requestFor(routes: Route[]) {
  return fc.nat({ max: routes.length - 1 }).chain((i) => {
    const route = routes[i]!;
    return fc.record({
      route: fc.constant(route),
      method: fc.oneof({ weight: 5, arbitrary: fc.constant(route.method) }, fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE')),
      params: fc.tuple(...route.pathParams.map(() => pathValue)),
      query: fc.array(
        fc.oneof(
          ...(route.query.length > 0 ? [fc.constantFrom(...route.query).chain((q) => fc.tuple(fc.constant(q.name), valueFor(q.schema)))] : []),
          fc.tuple(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 0 })),
        ),
        { maxLength: 4 },
      ),
      body: fc.oneof(
        { weight: 4, arbitrary: objectFor(route.body).map((value) => ({ kind: 'json' as const, value })) },
        fc.jsonValue({ maxDepth: 2 }).map((value) => ({ kind: 'json' as const, value })),
        fc.record({
          kind: fc.constant('raw' as const),
          text: fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('{', '{"a":', '[]', 'null', '{"__proto__":{"x":1}}')),
          type: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/yaml', ''),
        }),
        fc.constant({ kind: 'none' as const }),
      ),
      token: fc.constantFrom('operator', 'operator', 'none', 'forged', 'malformed'),
    });
  });
}
type ApiRequest = ReturnType<typeof requestFor> extends fc.Arbitrary<infer V> ? V : never;

/** Fields that say what a thing is; states, counters and times move by themselves and are left out. */
const identity = ['id', 'name', 'address', 'port', 'tags', 'family', 'transport', 'sha256', 'role', 'model', 'version', 'revoked'];

async function listings(bed: Pick<ApiBed, 'manager' | 'token'>, paths: string[]): Promise<string> {
  const parts: string[] = [];
  for (const path of paths) {
    const response = await fetch(`${bed.manager.url}${path}`, { headers: { authorization: `Bearer ${bed.token}` }, signal: AbortSignal.timeout(10_000) });
    assert.equal(response.status, 200, `${path} still answers`);
    const body = (await response.json()) as unknown;
    const list = Array.isArray(body) ? body : (Object.values(body as object).find(Array.isArray) ?? []);
    parts.push(
      `${path}: ${JSON.stringify((list as Array<Record<string, unknown>>).map((item) => Object.fromEntries(identity.filter((k) => k in item).map((k) => [k, item[k]]))))}`,
    );
  }
  return parts.join('\n');
}

export async function openApiBed(): Promise<ApiBed> {
  const dir = await mkdtemp(join(tmpdir(), 'sf-fuzz-api-'));
  await chmod(dir, 0o755);
  ensureVendorSoftware(join(dir, 'vendor'), labModel);
  // The fuzz sends invalid tokens by the hundred from one address: under the usual limit on them the
  // manager would soon answer 429 to everything, the checks' own requests included. The limit has its
  // own tests (auth-limit, api-tls); here it stays out of the way.
  const manager = await startLoopbackManager(dir, { failedTokens: { failures: 1_000_000 } });
  const token = await operatorToken(manager);
  const document = (await (await fetch(`${manager.url}/openapi.json`)).json()) as OpenApiDocument;
  // Routes that end the manager or stream without end are left out: each request must end on its own.
  const routes = routesOf(document).filter((r) => !/events|stream|shutdown/.test(r.path));
  const deviceName = 'unit-1';
  const added = await fetch(`${manager.url}/api/devices`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ address: '127.9.0.1', port: 16100, name: deviceName, v3User: testUser.name, authKey: testUser.authKey, privKey: testUser.privKey }),
  });
  assert.equal(added.status, 201, await added.text());
  const listingPaths = routes
    .filter((r) => r.method === 'GET' && r.pathParams.length === 0 && /^\/api\/(devices|runs|campaigns|images|tokens)$/.test(r.path))
    .map((r) => r.path);
  return { dir, manager, token, routes, listings: listingPaths, deviceName };
}

function urlOf(bed: ApiBed, request: ApiRequest): string {
  let path = request.route.path;
  request.route.pathParams.forEach((name, i) => {
    path = path.replace(`{${name}}`, String(request.params[i]));
  });
  const query = new URLSearchParams(request.query.map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  const search = query.toString();
  return `${bed.manager.url}${path}${search ? `?${search}` : ''}`;
}

async function check(bed: ApiBed, request: ApiRequest): Promise<void> {
  const before = await listings(bed, bed.listings);
  const headers: Record<string, string> = {};
  if (request.token === 'operator') headers.authorization = `Bearer ${bed.token}`;
  else if (request.token === 'forged') headers.authorization = `Bearer ${bed.token.slice(0, -1)}${bed.token.endsWith('a') ? 'b' : 'a'}`;
  else if (request.token === 'malformed') headers.authorization = 'Bearer \u00ff\u00fe not a token';
  let body: string | undefined;
  const withBody = request.method !== 'GET' && request.body.kind !== 'none';
  if (withBody && request.body.kind === 'json') {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(request.body.value) ?? 'null';
  } else if (withBody && request.body.kind === 'raw') {
    if (request.body.type) headers['content-type'] = request.body.type;
    body = request.body.text;
  }
  let status: number;
  let text: string;
  try {
    const response = await fetch(urlOf(bed, request), {
      method: request.method,
      headers,
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    status = response.status;
    text = response.headers.get('content-type')?.includes('text/event-stream') ? '' : await response.text();
  } catch (error) {
    // A header value fetch itself refuses never leaves this process.
    if (error instanceof TypeError && /header|ByteString/i.test(String(error.message) + String((error as { cause?: Error }).cause?.message))) return;
    throw error;
  }
  // The bed's device has no agent behind it: a route that must read it answers 502 (the device, not the
  // manager, failed), which is the API's documented answer for a silent device. Any other 5xx is a failure.
  const silentDevice = status === 502 && /could not be read/.test(text);
  assert.ok(status < 500 || silentDevice, `${request.method} ${request.route.path} answered ${status}: ${text.slice(0, 300)}`);
  for (const secret of [testUser.authKey, testUser.privKey]) assert.ok(!text.includes(secret), 'an answer holds a credential');
  if (status >= 400) assert.equal(await listings(bed, bed.listings), before, `a refused ${request.method} ${request.route.path} (${status}) changed state`);
}

export const httpApiTarget = fuzzTarget({
  name: 'http-api',
  description: "every route of a real manager's /openapi.json with random params, queries, bodies and tokens: no 5xx, refused requests change nothing",
  defaultInputs: 5_000,
  open: openApiBed,
  property: (bed: ApiBed) => fc.asyncProperty(requestFor(bed.routes), (request) => check(bed, request)),
  close: async (bed: ApiBed) => {
    await bed.manager.stop();
    await rm(bed.dir, { recursive: true, force: true });
  },
});
