// How failures reach API clients: one JSON shape ({ error, problems?, reason? }) and a status code
// that says whose fault it is. Which refusals of the modules behind the API are known, and with what
// status, is refusals.ts's (the manager's API); the front knows only its own (HttpProblem).
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

export interface ErrorBody {
  error: string;
  /** Every problem with the input, when there were several. */
  problems?: string[];
  /** A machine-readable cause, e.g. an image's failed check. */
  reason?: string;
}

/** An answer other than success, raised by a route. */
export class HttpProblem extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly extra: Omit<ErrorBody, 'error'> = {},
  ) {
    super(message);
  }
}

export function notFound(what: string, reference: string): HttpProblem {
  return new HttpProblem(404, `no ${what} ${JSON.stringify(reference)}`);
}

/** A refusal's answer: its status and body. */
export interface Refusal {
  status: number;
  body: ErrorBody;
}

/** How an app answers the errors it knows; undefined for anything else, which is the manager's own fault. */
export type RefusalOf = (error: Error) => Refusal | undefined;

/** The refusals every app knows: a route's own HttpProblem. */
export function problemRefusal(error: Error): Refusal | undefined {
  return error instanceof HttpProblem ? { status: error.statusCode, body: { error: error.message, ...error.extra } } : undefined;
}

/** The error handler of an app that knows the refusals `refusal` knows (problemRefusal's at least). */
export function errorHandler(refusal: RefusalOf) {
  return (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void => {
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      const problems = fastifyError.validation.map(
        (v) =>
          `${fastifyError.validationContext ?? 'body'}${v.instancePath.replace(/\//g, '.')} ${v.message ?? 'is not valid'}${
            v.keyword === 'additionalProperties' ? `: ${String((v.params as { additionalProperty?: string }).additionalProperty)}` : ''
          }${v.keyword === 'enum' ? ` (${((v.params as { allowedValues?: unknown[] }).allowedValues ?? []).join(', ')})` : ''}`,
      );
      void reply.status(400).send({ error: `bad request: ${problems.join('; ')}`, problems } satisfies ErrorBody);
      return;
    }
    const known = refusal(error);
    if (known !== undefined) {
      void reply.status(known.status).send(known.body);
      return;
    }
    // Fastify's own client errors: unsupported media type, body too large, malformed JSON.
    if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
      void reply.status(fastifyError.statusCode).send({ error: error.message } satisfies ErrorBody);
      return;
    }
    request.log.error({ err: error }, 'request failed');
    void reply.status(500).send({ error: `internal error: ${error.message}` } satisfies ErrorBody);
  };
}

/** The media type of a Content-Type header, without parameters, lower case. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}
