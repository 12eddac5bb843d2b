// /api/tokens: the API's tokens. A new token's secret is in the answer to its creation and nowhere
// else, ever; listings show names, roles and dates only.
import type { FastifyInstance } from 'fastify';
import { roles, TokenError, type Role, type TokenStore } from '../../manager/store/tokens.ts';
import { tokenHolder } from './auth.ts';
import { HttpProblem } from './errors.ts';
import { errorResponses } from './schemas.ts';

export type TokenService = Pick<TokenStore, 'create' | 'list' | 'revoke'>;

const timestamp = { type: 'string', format: 'date-time' } as const;
const nullableTimestamp = { anyOf: [timestamp, { type: 'null' }] } as const;

export const tokenSchema = {
  $id: 'Token',
  type: 'object',
  description: 'An API token as listed: never its secret',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    role: { type: 'string', enum: roles },
    createdAt: timestamp,
    lastUsedAt: nullableTimestamp,
    revokedAt: nullableTimestamp,
  },
} as const;

const createdTokenSchema = {
  type: 'object',
  description: 'The new token, with its secret: shown this once',
  properties: { ...tokenSchema.properties, token: { type: 'string' } },
} as const;

const newTokenSchema = {
  type: 'object',
  required: ['name', 'role'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9._@-]{0,63}$', description: 'unique among tokens not revoked' },
    role: { type: 'string', enum: roles, description: 'viewer: read only (GET); operator: everything' },
  },
} as const;

const tokenParams = {
  type: 'object',
  required: ['token'],
  properties: { token: { type: 'string', minLength: 1, maxLength: 64, description: 'token id or name' } },
} as const;

const statusByProblem: Record<TokenError['problem'], number> = { badName: 400, badRole: 400, nameTaken: 409, unknownToken: 404 };

/** The store's refusals, as the HTTP answers that say whose fault they are. */
async function answering<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof TokenError) throw new HttpProblem(statusByProblem[error.problem], error.message);
    throw error;
  }
}

export function registerTokenRoutes(app: FastifyInstance, tokens: TokenService): void {
  app.get(
    '/api/tokens',
    {
      schema: {
        summary: 'List the API tokens (revoked ones too), without their secrets',
        tags: ['tokens'],
        response: { 200: { type: 'array', items: { $ref: 'Token#' } } },
      },
    },
    async () => tokens.list(),
  );

  app.get(
    '/api/tokens/current',
    {
      schema: { summary: 'The token this request was made with (its name and role)', tags: ['tokens'], response: { 200: { $ref: 'Token#' } } },
    },
    async (request) => {
      if (!request.access) throw new HttpProblem(401, 'no API token');
      return request.access;
    },
  );

  app.post<{ Body: { name: string; role: Role } }>(
    '/api/tokens',
    {
      schema: {
        summary: 'Create a token; the answer holds its secret, which is shown this once and stored only as a digest',
        tags: ['tokens'],
        body: newTokenSchema,
        response: { 201: createdTokenSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await answering(() => tokens.create(request.body.name, request.body.role, tokenHolder(request.access)))),
  );

  app.delete<{ Params: { token: string } }>(
    '/api/tokens/:token',
    {
      schema: {
        summary: 'Revoke a token (by id or name): requests made with it are refused from now on',
        tags: ['tokens'],
        params: tokenParams,
        response: { 200: { $ref: 'Token#' }, ...errorResponses },
      },
    },
    async (request) => answering(() => tokens.revoke(request.params.token, tokenHolder(request.access))),
  );
}
