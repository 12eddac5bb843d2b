// The API's front: where clients connect. Every request's token is checked here (auth.ts, with this
// front's count of invalid tokens per client address); the campaigns' list and page are answered here,
// from the front's own database connections; everything else is passed on to the manager's API
// (forward.ts), which checks the token again for who acts. The front runs on a thread of its own
// (front-thread.ts): a busy manager, its thread taken by thousands of runs, no longer keeps an
// operator's page waiting for its turn.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { newApiApp } from '../api-app.ts';
import { registerAuth, type TokenCheck } from '../auth.ts';
import { FailedTokenAttempts, type FailedTokenLimits } from '../auth-limit.ts';
import { refuseNulCharacters } from '../nul-guard.ts';
import { type CampaignReadService, registerCampaignReadRoutes } from '../routes/campaigns.ts';
import { eventsPath } from '../routes/events.ts';
import type { Forwarder } from './forward.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Passed on to the manager, which logs and counts it. */
    forwarded: boolean;
  }
}

export interface FrontServices {
  tokens: TokenCheck;
  campaigns: CampaignReadService;
  manager: Pick<Forwarder, 'forward'>;
  /** A request the front answered itself (the manager counts the others). */
  answered(method: string, route: string, status: number): void;
}

export interface FrontOptions {
  https?: { cert: Buffer; key: Buffer };
  failedTokens?: Partial<FailedTokenLimits>;
}

export function buildApiFront(services: FrontServices, logger: Logger, options: FrontOptions = {}): FastifyInstance {
  const app = newApiApp(logger, { ...(options.https ? { https: options.https } : {}), quietRequests: true });
  // Bodies are the manager's to read: every one is handed on as the stream it is (the front's own
  // routes take none).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  app.decorateRequest('forwarded', false);
  registerAuth(app, services.tokens, new FailedTokenAttempts(options.failedTokens));

  const forward = (request: FastifyRequest, reply: FastifyReply) => {
    request.forwarded = true;
    services.manager.forward(request, reply);
  };
  app.setNotFoundHandler(forward);
  // The event stream takes its token in the query (auth.ts): the front must know the route to let it.
  app.get(eventsPath, { config: { tokenInQuery: true } }, forward);

  // The front's own routes, with the checks the manager's routes have (hooks here stay inside).
  void app.register(async (own) => {
    refuseNulCharacters(own);
    registerCampaignReadRoutes(own, services.campaigns);
  });

  app.addHook('onResponse', async (request, reply) => {
    if (request.forwarded) return;
    services.answered(request.method, request.routeOptions.url ?? 'unknown', reply.statusCode);
    // One line per request it answers (no 'incoming request' line before it): what was asked and the answer.
    request.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  });
  return app;
}
