// How failures reach API clients: one JSON shape ({ error, problems?, reason? }) and a status code
// that says whose fault it is. The refusals of the modules behind the API are recognised by their class;
// anything else is the manager's own fault.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { BackupError } from '../../manager/files/backup-error.ts';
import { NetworkNotAllowedError } from '../../manager/inventory/allowed-networks.ts';
import { CidrError } from '../../manager/inventory/cidr.ts';
import { ImportError } from '../../manager/inventory/import-file.ts';
import { DeviceSpecError, DeviceUnreadableError } from '../../manager/inventory/inventory.ts';
import { CancelError, DecisionError, NotWaitingError, RunRequestError } from '../../manager/procedure/errors.ts';
import { PolicyError } from '../../manager/procedure/policy.ts';
import { DeviceConflictError, DeviceInUseError } from '../../manager/store/devices.ts';
import { ActiveRunError } from '../../manager/store/runs.ts';
import { ConfigError } from '../../protocol/config/text.ts';
import { ImageError } from '../../protocol/image/error.ts';

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

const statusByErrorClass: ReadonlyArray<readonly [abstract new (...args: never[]) => Error, number]> = [
  [DeviceSpecError, 400],
  [CidrError, 400],
  [NetworkNotAllowedError, 400],
  [ImportError, 400],
  [ConfigError, 400],
  [PolicyError, 400],
  [DeviceConflictError, 409],
  [DeviceInUseError, 409],
  [NotWaitingError, 409],
  [ActiveRunError, 409],
  [ImageError, 422],
  [BackupError, 422],
  [DeviceUnreadableError, 502],
];

/** Refusals of the procedure carry a `problem`; it says whose fault it is. */
const statusByProblem: Record<string, number> = {
  unknownDevice: 404,
  unknownImage: 404,
  unknownRun: 404,
  unknownConfig: 404,
  badPolicy: 400,
  badOptions: 400,
  badActor: 400,
  badAnswer: 400,
  wrongModel: 422,
  activeRun: 409,
  notHere: 409,
  ended: 409,
};

function statusOf(error: Error): number | undefined {
  if (error instanceof RunRequestError || error instanceof DecisionError || error instanceof CancelError) return statusByProblem[error.problem] ?? 400;
  return statusByErrorClass.find(([type]) => error instanceof type)?.[1];
}

/**
 * How the API answers an error it knows (a refusal by a route or by the modules behind it): its status
 * and body. Undefined for anything else, which is the manager's own fault.
 */
export function refusal(error: Error): { status: number; body: ErrorBody } | undefined {
  if (error instanceof HttpProblem) return { status: error.statusCode, body: { error: error.message, ...error.extra } };
  const known = statusOf(error);
  if (known === undefined) return undefined;
  const body: ErrorBody = { error: error.message };
  const problems = (error as { problems?: unknown }).problems;
  if (Array.isArray(problems)) body.problems = problems.map(String);
  const reason = (error as { reason?: unknown; problem?: unknown }).reason ?? (error as { problem?: unknown }).problem;
  if (typeof reason === 'string') body.reason = reason;
  return { status: known, body };
}

export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof HttpProblem) {
    const { status, body } = refusal(error)!;
    void reply.status(status).send(body);
    return;
  }
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
}

/** The media type of a Content-Type header, without parameters, lower case. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}
