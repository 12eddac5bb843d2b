// A fastify instance as every face of the API is built: the same request logs, the same validation
// (nothing coerced, unknown fields refused), the same error answers and shared schemas. The manager's
// API (server.ts) and its front (front/front-app.ts) both start from here.
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { errorHandler, problemRefusal, type RefusalOf } from './errors.ts';
import { requestLogSerializer } from './request-log.ts';
import { sharedSchemas } from './schemas.ts';

export interface ApiAppOptions {
  /** Certificate and key (PEM): served over HTTPS. */
  https?: { cert: Buffer; key: Buffer };
  /** The client's address is the one X-Forwarded-For names: only for an app that no client reaches but through the front. */
  behindFront?: boolean;
  /** No line per request: the app logs its requests itself (the front logs only those it answers). */
  quietRequests?: boolean;
  /** The errors the app answers as refusals (4xx) besides its routes' own: the manager's API knows those of the modules behind it. */
  refusal?: RefusalOf;
}

export function newApiApp(logger: Logger, options: ApiAppOptions = {}): FastifyInstance {
  const app = Fastify({
    ...(options.https ? { https: options.https } : {}),
    loggerInstance: logger.child({}, { serializers: { req: requestLogSerializer } }),
    ...(options.behindFront ? { trustProxy: true } : {}),
    ...(options.quietRequests ? { logController: new LogController({ disableRequestLogging: true }) } : {}),
    // Unknown fields are refused, not silently dropped: a misspelt option must not be ignored.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
  }) as unknown as FastifyInstance;
  for (const schema of sharedSchemas) app.addSchema(schema);
  app.setErrorHandler(errorHandler(options.refusal ?? problemRefusal));
  return app;
}
