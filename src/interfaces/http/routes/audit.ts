// /api/audit: what operators did (runs started, answered, activated, cancelled; campaigns created,
// approved, paused, resumed, aborted; tokens made and revoked; images uploaded; devices added, imported,
// discovered, refreshed and removed), oldest first, in a time window. A viewer token may read it: it
// names who did what, never a secret.
import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../../../manager/store/audit.ts';
import { auditActions } from '../../../manager/store/actions.ts';
import { HttpProblem } from '../errors.ts';
import { errorResponses } from '../schemas.ts';

export type AuditService = Pick<AuditLog, 'entries'>;

export const defaultAuditLimit = 10_000;
const maxAuditLimit = 100_000;

const timestamp = { type: 'string', format: 'date-time' } as const;

const auditEntrySchema = {
  type: 'object',
  required: ['at', 'actor', 'action', 'target', 'detail'],
  properties: {
    at: timestamp,
    actor: { type: 'string', description: 'operator:<name>; manager for what the manager did itself (its bootstrap token)' },
    action: {
      type: 'string',
      enum: auditActions,
    },
    target: {
      type: 'object',
      properties: {
        run: { type: 'string' },
        campaign: { type: 'string' },
        device: { type: 'integer' },
        token: { type: 'integer' },
        image: { type: 'string', description: 'SHA-256 of the image' },
      },
    },
    detail: { type: 'object', additionalProperties: true },
  },
} as const;

/** An ISO 8601 time with its zone, or undefined when `value` is not one. */
function isoTime(value: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return undefined;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? undefined : time;
}

export function registerAuditRoutes(app: FastifyInstance, audit: AuditService): void {
  app.get<{ Querystring: { since: string; until?: string; limit?: string } }>(
    '/api/audit',
    {
      schema: {
        summary: "The operators' actions in a time window, oldest first (since inclusive, until exclusive); viewer tokens may read it",
        tags: ['audit'],
        querystring: {
          type: 'object',
          required: ['since'],
          additionalProperties: false,
          properties: {
            since: { type: 'string', description: 'ISO 8601 time with its zone, e.g. 2026-05-01T00:00:00Z' },
            until: { type: 'string', description: 'ISO 8601 time with its zone; now when absent' },
            limit: {
              type: 'string',
              pattern: '^(100000|[1-9][0-9]{0,4})$',
              description: `most entries returned (1 to ${maxAuditLimit}, default ${defaultAuditLimit})`,
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['entries', 'more'],
            properties: {
              entries: { type: 'array', items: auditEntrySchema },
              more: { type: 'boolean', description: 'true when the window holds more than `limit` entries: ask again from the last one' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const since = isoTime(request.query.since);
      if (!since)
        throw new HttpProblem(400, `since: expected an ISO 8601 time with its zone (e.g. 2026-05-01T00:00:00Z), got ${JSON.stringify(request.query.since)}`);
      const until = request.query.until === undefined ? new Date() : isoTime(request.query.until);
      if (!until) throw new HttpProblem(400, `until: expected an ISO 8601 time with its zone, got ${JSON.stringify(request.query.until)}`);
      if (until.getTime() <= since.getTime()) throw new HttpProblem(400, `until (${until.toISOString()}) must be after since (${since.toISOString()})`);
      return audit.entries({ since, until, limit: request.query.limit === undefined ? defaultAuditLimit : Number(request.query.limit) });
    },
  );
}
