// Who may use the API. Every route under /api/ and /metrics needs a token (`Authorization: Bearer
// <token>`); /openapi.json and the dashboard's page and files are public (they hold no data). A viewer
// token reads (GET); an operator token does everything. Checked in onRequest, before a body is read, so
// a client without a token cannot make the manager parse anything. A client address that sent too many
// invalid tokens is refused for a while (auth-limit.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../manager/store/records.ts';
import type { Role, TokenRecord, TokenStore } from '../../manager/store/tokens.ts';
import type { FailedTokenAttempts } from './auth-limit.ts';
import { HttpProblem } from './errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route also takes the token as `?token=` (EventSource cannot send headers). */
    tokenInQuery?: boolean;
  }
  interface FastifyRequest {
    /** The token the request was authenticated with; null on public routes. */
    access: TokenRecord | null;
  }
}

export type TokenCheck = Pick<TokenStore, 'authenticate'>;

/** The OpenAPI security scheme every protected route names. */
export const securitySchemeName = 'bearerToken';
export const securityScheme = {
  type: 'http',
  scheme: 'bearer',
  description: 'An API token from `safeflash token create` (or the operator token file <data-dir>/operator.token). Viewer tokens may only GET.',
} as const;

const readMethods = new Set(['GET', 'HEAD']);

/** Whether a route (by its registered path) needs a token. */
export function isProtectedPath(path: string): boolean {
  return path.startsWith('/api/') || path === '/metrics';
}

/** Who acts with a token, as the audit names them: the holder of the token the request was made with. */
export function tokenHolder(access: TokenRecord | null): `operator:${string}` {
  return access ? `operator:${access.name}` : 'operator:unknown';
}

/** Who a request's `operator` field names as acting ('api' when it names none). */
export function operatorActor(name: string | undefined): Actor {
  return `operator:${name ?? 'api'}`;
}

export function mayUse(role: Role, method: string): boolean {
  return role === 'operator' || readMethods.has(method);
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  return match?.[1];
}

function queryToken(request: FastifyRequest): string | undefined {
  const token = (request.query as Record<string, unknown> | undefined)?.token;
  return typeof token === 'string' && token !== '' ? token : undefined;
}

function unauthorized(reply: FastifyReply, message: string): HttpProblem {
  void reply.header('www-authenticate', 'Bearer realm="safeflash"');
  return new HttpProblem(401, message);
}

export function registerAuth(app: FastifyInstance, tokens: TokenCheck, failures: FailedTokenAttempts): void {
  app.decorateRequest('access', null);
  app.addHook('onRequest', async (request, reply) => {
    // The registered path when a route matched (what the router serves, however the URL was spelt);
    // the URL's own path for one that did not, so that probing /api/ for routes needs a token too.
    const path = request.is404 ? request.url.split('?')[0]! : (request.routeOptions.url ?? '');
    if (!isProtectedPath(path)) return;
    // The socket's address, never a header a client can write: behind the front (front/), the address the
    // front read off its own socket, in the X-Forwarded-For it writes over whatever the client sent.
    const client = request.ip ?? 'unknown';
    const retryAfter = failures.refusedFor(client);
    if (retryAfter !== undefined) {
      void reply.header('retry-after', String(retryAfter));
      throw new HttpProblem(429, `too many requests with an invalid API token from ${client}; try again in ${retryAfter} s`);
    }
    const token = bearerToken(request.headers.authorization) ?? (request.routeOptions.config.tokenInQuery ? queryToken(request) : undefined);
    if (!token)
      throw unauthorized(
        reply,
        'no API token: send "Authorization: Bearer <token>" (a token from `safeflash token create`, or the file operator.token in the manager\'s data directory)',
      );
    const access = await tokens.authenticate(token);
    if (!access) {
      failures.failed(client);
      throw unauthorized(reply, 'the API token is not valid (unknown, malformed or revoked)');
    }
    if (!mayUse(access.role, request.method))
      throw new HttpProblem(403, `a ${access.role} token may only read (GET); ${request.method} needs an operator token`);
    request.access = access;
  });
}
