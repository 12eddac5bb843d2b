// The OpenAPI 3.1 document of the API, generated from the routes' own JSON schemas as they are
// registered, so it cannot drift from what the server validates and returns. Every route is in it
// (the dashboard's pages and /metrics too), each with the security it needs.
import type { FastifyInstance, RouteOptions } from 'fastify';
import { isProtectedPath, securityScheme, securitySchemeName } from './auth.ts';

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

function operation(route: RouteOptions, method: string): Operation {
  const schema = (route.schema ?? {}) as RouteSchema;
  const op: Operation = { summary: schema.summary ?? '', tags: schema.tags ?? [] };
  // Public routes say so with an empty list; protected ones name the bearer token.
  op.security = isProtectedPath(route.url) ? [{ [securitySchemeName]: [] }] : [];
  const params = [...parameters('path', schema.params), ...parameters('query', schema.querystring)];
  if (params.length > 0) op.parameters = params;
  if (schema.body) op.requestBody = { required: true, content: { 'application/json': { schema: openApiRefs(schema.body) } } };
  else if (schema.consumes) {
    op.requestBody = { required: true, content: Object.fromEntries(schema.consumes.map((type) => [type, { schema: { type: 'string', format: 'binary' } }])) };
  }
  op.responses = schema.response
    ? Object.fromEntries(
        Object.entries(schema.response).map(([status, body]) => [
          status,
          { description: Number(status) < 400 ? 'success' : 'error', content: { 'application/json': { schema: openApiRefs(body) } } },
        ]),
      )
    : { 200: { description: 'success' } };
  if (isProtectedPath(route.url)) {
    op.responses = {
      ...(op.responses as object),
      401: { description: 'no token, or one that is unknown or revoked', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      ...(method === 'GET'
        ? {}
        : {
            403: {
              description: 'a viewer token: only operators may do this',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
            },
          }),
    };
  }
  return op;
}

/** Collects every route as it is registered; call before the routes are added. */
export function collectOpenApi(app: FastifyInstance, sharedSchemas: Array<{ $id: string }>, info: { title: string; version: string }) {
  const paths: Record<string, Record<string, Operation>> = {};
  app.addHook('onRoute', (route) => {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      paths[path] ??= {};
      paths[path][method.toLowerCase()] = operation(route, method);
    }
  });
  return () => ({
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas: Object.fromEntries(sharedSchemas.map((s) => [s.$id, openApiRefs(s)])),
      securitySchemes: { [securitySchemeName]: securityScheme },
    },
  });
}
