// The manager's HTTP server: the JSON API under /api/, its OpenAPI document at /openapi.json and
// Prometheus metrics at /metrics. JSON logs through the pino logger it is given.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerAuth } from './auth.ts';
import { FailedTokenAttempts, type FailedTokenLimits } from './auth-limit.ts';
import { registerTokenRoutes, tokenSchema } from './auth-routes.ts';
import { refuseNulCharacters } from './nul-guard.ts';
import { collectOpenApi } from './openapi.ts';
import { sharedSchemas } from './schemas.ts';
import { newApiApp } from './api-app.ts';
import { refusal } from './refusals.ts';
import type { ApiServices } from './services.ts';
import { registerDeviceRoutes } from './routes/devices.ts';
import { registerImageRoutes } from './routes/images.ts';
import { registerRunRoutes } from './routes/runs.ts';
import { registerBackupRoutes } from './routes/backups.ts';
import { registerDashboardRoutes } from './routes/dashboard.ts';
import { registerEventRoutes } from './routes/events.ts';
import { registerCampaignRoutes } from './routes/campaigns.ts';
import { registerManagerRoutes } from './routes/managers.ts';
import { registerAuditRoutes } from './routes/audit.ts';

export const apiVersion = '1';

export interface ApiServerOptions {
  /** Reached only through the API's front (front/), which names each request's client in X-Forwarded-For. */
  behindFront?: boolean;
  /** Failed token attempts per client address (auth-limit.ts); the defaults when absent. */
  failedTokens?: Partial<FailedTokenLimits>;
}

export function buildApiServer(services: ApiServices, logger: Logger, options: ApiServerOptions = {}): FastifyInstance {
  const app = newApiApp(logger, { refusal, ...(options.behindFront ? { behindFront: true } : {}) });
  app.addSchema(tokenSchema);
  // Plain text is no body this API takes: refused as an unsupported media type (415), not parsed.
  app.removeContentTypeParser('text/plain');
  const openApi = collectOpenApi(app, [...sharedSchemas, tokenSchema], { title: 'Safeflash manager API', version: apiVersion });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}` });
  });
  app.addHook('onResponse', async (request, reply) => {
    services.metrics.httpRequests.inc({ method: request.method, route: request.routeOptions.url ?? 'unknown', status: String(reply.statusCode) });
  });

  if (options.behindFront) {
    // A body refused before it was read (413) would close the connection under the front while it
    // still sends the body: kept open instead, the rest of the body is read and dropped (Node.js does).
    app.addHook('onSend', async (_request, reply, payload) => {
      if (reply.getHeader('connection') === 'close') reply.removeHeader('connection');
      return payload;
    });
  }

  registerAuth(app, services.tokens, new FailedTokenAttempts(options.failedTokens));
  refuseNulCharacters(app);

  registerTokenRoutes(app, services.tokens);
  registerDeviceRoutes(app, services);
  registerBackupRoutes(app, services);
  registerImageRoutes(app, services);
  registerRunRoutes(app, services);
  registerEventRoutes(app, services.live);
  registerDashboardRoutes(app);
  registerCampaignRoutes(app, services.campaigns);
  registerManagerRoutes(app, services);
  registerAuditRoutes(app, services.audit);

  app.get('/openapi.json', { schema: { summary: 'This document (public)', tags: ['documents'] } }, async () => openApi());
  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics (text exposition format); needs a token, viewer is enough', tags: ['documents'] } },
    async (_request, reply) => {
      void reply.header('content-type', services.metrics.registry.contentType);
      return services.metrics.registry.metrics();
    },
  );
  return app;
}
