// The OpenAPI 3.1 document of the API, generated from the routes' own JSON schemas as they are
// registered, so it cannot drift from what the server validates and returns.
import type { FastifyInstance, RouteOptions } from 'fastify';

declare module 'fastify' {
  // What a route says about itself for the document; Fastify ignores these keys.
  interface FastifySchema {
    summary?: string;
    tags?: string[];
    consumes?: string[];
  }
}

interface RouteSchema {
  summary?: string;
  tags?: string[];
  consumes?: string[];
  params?: { properties?: Record<string, object>; required?: string[] };
  querystring?: { properties?: Record<string, object>; required?: string[] };
  body?: object;
  response?: Record<string, object>;
}

type Operation = Record<string, unknown>;

/** Turns Fastify's shared-schema references ("Device#") into OpenAPI component references. */
function openApiRefs(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(openApiRefs);
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key]) => key !== '$id')
      .map(([key, value]) => [key, key === '$ref' && typeof value === 'string' ? `#/components/schemas/${value.replace(/#$/, '')}` : openApiRefs(value)]),
  );
}

function parameters(where: 'path' | 'query', schema: RouteSchema['params']): object[] {
  return Object.entries(schema?.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (schema?.required ?? []).includes(name),
    schema: openApiRefs(property),
  }));
}

function operation(route: RouteOptions): Operation {
  const schema = (route.schema ?? {}) as RouteSchema;
  const op: Operation = { summary: schema.summary ?? '', tags: schema.tags ?? [] };
  const params = [...parameters('path', schema.params), ...parameters('query', schema.querystring)];
  if (params.length > 0) op.parameters = params;
  if (schema.body) op.requestBody = { required: true, content: { 'application/json': { schema: openApiRefs(schema.body) } } };
  else if (schema.consumes) {
    op.requestBody = { required: true, content: Object.fromEntries(schema.consumes.map((type) => [type, { schema: { type: 'string', format: 'binary' } }])) };
  }
  op.responses = Object.fromEntries(
    Object.entries(schema.response ?? { 200: {} }).map(([status, body]) => [
      status,
      { description: Number(status) < 400 ? 'success' : 'error', content: { 'application/json': { schema: openApiRefs(body) } } },
    ]),
  );
  return op;
}

/** Collects every /api route as it is registered; call before the routes are added. */
export function collectOpenApi(app: FastifyInstance, sharedSchemas: Array<{ $id: string }>, info: { title: string; version: string }) {
  const paths: Record<string, Record<string, Operation>> = {};
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/') || !route.schema) return;
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      (paths[path] ??= {})[method.toLowerCase()] = operation(route);
    }
  });
  return () => ({
    openapi: '3.1.0',
    info,
    paths,
    components: { schemas: Object.fromEntries(sharedSchemas.map((s) => [s.$id, openApiRefs(s)])) },
  });
}
