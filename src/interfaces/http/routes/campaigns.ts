// /api/campaigns: fleet campaigns in waves. Create, list, look at one (its waves with counters, every
// device with its run, every event), and the operator's controls: pause, resume, abort, approve.
import { familyNames } from '../../../families/family.ts';
import type { FastifyInstance } from 'fastify';
import type { CampaignRequest } from '../../../manager/campaigns/settings.ts';
import { campaignDeviceStates, campaignStates, emptyCounters, type Counters } from '../../../manager/campaigns/model.ts';
import type { CampaignDetail, CampaignPage } from '../../../manager/campaigns/campaign-reads.ts';
import type { Campaigns } from '../../../manager/campaigns/campaigns.ts';
import type { CampaignRecord } from '../../../manager/store/campaigns.ts';
import { HttpProblem } from '../errors.ts';
import { errorResponses, runOptionProperties } from '../schemas.ts';
import { operatorActor } from '../auth.ts';

const timestamp = { type: 'string', format: 'date-time' } as const;
const nullable = <T extends object>(schema: T) => ({ anyOf: [schema, { type: 'null' }] }) as const;
const operatorName = { type: 'string', pattern: '^[^\\s:][^\\s]{0,63}$', description: 'who asks, recorded as operator:<name>' } as const;

const counters = {
  type: 'object',
  description: 'devices per state',
  properties: Object.fromEntries(campaignDeviceStates.map((s) => [s, { type: 'integer' }])),
} as const;

const stage = {
  type: 'object',
  properties: {
    index: { type: 'integer' },
    kind: { type: 'string', enum: ['wave', 'retry'] },
    number: { type: 'integer', description: '1-based number of the wave or of the retry round' },
    size: { type: 'integer' },
    pauseAt: { type: 'integer', description: 'failures in this stage that pause the campaign' },
  },
} as const;

const campaignSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    imageSha256: { type: 'string' },
    imageVersion: { type: 'string' },
    state: { type: 'string', enum: [...campaignStates] },
    pauseCause: nullable({ type: 'string' }),
    stage: nullable(stage),
    stages: { type: 'array', items: stage },
    counters,
    settings: { type: 'object', additionalProperties: true },
    selector: { type: 'object', additionalProperties: true },
    createdBy: { type: 'string' },
    createdAt: timestamp,
    updatedAt: timestamp,
  },
} as const;

const campaignDetailSchema = {
  type: 'object',
  properties: {
    campaign: campaignSchema,
    page: {
      type: 'object',
      description: 'present when a page was asked for: which devices it holds, of how many',
      properties: { offset: { type: 'integer' }, limit: { type: 'integer' }, devices: { type: 'integer' } },
    },
    waves: {
      type: 'array',
      description: 'every stage (waves, then retry rounds of offline devices) with its counters',
      items: { type: 'object', properties: { ...stage.properties, counters } },
    },
    devices: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          deviceId: { type: 'integer' },
          name: { type: 'string' },
          wave: nullable({ type: 'integer' }),
          stage: nullable({ type: 'integer' }),
          state: { type: 'string', enum: [...campaignDeviceStates] },
          attempts: { type: 'integer' },
          runId: nullable({ type: 'string' }),
          run: nullable({ type: 'object', properties: { state: { type: 'string' }, phase: { type: 'string' } } }),
          cause: nullable({ type: 'string' }),
          message: nullable({ type: 'string' }),
          startedAt: nullable(timestamp),
          updatedAt: timestamp,
        },
      },
    },
    events: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'integer' },
          at: timestamp,
          kind: { type: 'string' },
          actor: { type: 'string' },
          cause: nullable({ type: 'string' }),
          message: { type: 'string' },
          detail: { type: 'object', additionalProperties: true },
        },
      },
    },
  },
} as const;

const newCampaignSchema = {
  type: 'object',
  required: ['name', 'image', 'waves'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 100 },
    image: { type: 'string', minLength: 6, maxLength: 64, description: 'SHA-256 of an image the manager holds, or a unique prefix' },
    devices: { type: 'array', minItems: 1, maxItems: 100_000, items: { type: 'string', minLength: 1, maxLength: 64 } },
    images: {
      type: 'array',
      minItems: 1,
      maxItems: 64,
      items: { type: 'string', minLength: 6, maxLength: 64 },
      description: 'further images for a fleet of several models: each device gets the one for its model',
    },
    model: { type: 'string', minLength: 1, maxLength: 64 },
    family: { type: 'string', enum: familyNames, description: 'devices of this family' },
    versionRange: { type: 'string', minLength: 1, maxLength: 200, description: 'e.g. ">=1.0.0 <2.0.0"' },
    tags: { type: 'array', minItems: 1, maxItems: 16, items: { type: 'string', minLength: 1, maxLength: 32 } },
    waves: {
      anyOf: [
        { type: 'string', maxLength: 500 },
        { type: 'array', minItems: 1, maxItems: 100, items: { anyOf: [{ type: 'string', maxLength: 8 }, { type: 'integer' }] } },
      ],
      description: 'cumulative percentages "1%,10%,50%,100%" or wave sizes "5,20"',
    },
    maxConcurrent: { type: 'integer', minimum: 1, maximum: 1000 },
    ratePerMinute: { type: 'integer', minimum: 1, maximum: 100_000 },
    threshold: {
      anyOf: [
        { type: 'integer', minimum: 1 },
        { type: 'string', maxLength: 8 },
      ],
      description: 'failures per wave that pause: 2, or "5%"',
    },
    approval: { type: 'boolean' },
    window: { type: 'string', maxLength: 11, description: 'maintenance window HH:MM-HH:MM, may cross midnight' },
    timeZone: { type: 'string', maxLength: 64, description: 'IANA time zone of the window' },
    policy: { type: 'object', description: 'failure policy of every run, as for /api/runs' },
    offlineAttempts: { type: 'integer', minimum: 1, maximum: 10 },
    retryDelaySeconds: { type: 'number', minimum: 0, maximum: 86_400 },
    ...runOptionProperties,
    operator: operatorName,
  },
} as const;

const campaignParams = { type: 'object', required: ['campaign'], properties: { campaign: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
const controlBody = {
  type: 'object',
  additionalProperties: false,
  properties: { operator: operatorName, wave: { type: 'integer', minimum: 1, description: 'approve: the wave approved' } },
} as const;

/** Errors of the campaigns service, as HTTP answers. */
function asHttp(error: unknown): never {
  const e = error as Error & { problems?: string[]; unknownImage?: boolean };
  switch (e.name) {
    case 'CampaignNotFoundError':
      throw new HttpProblem(404, e.message);
    case 'CampaignStateError':
      throw new HttpProblem(409, e.message);
    case 'CampaignSelectionError':
      throw new HttpProblem(e.unknownImage ? 404 : 422, e.message, { problems: e.problems ?? [] });
    case 'CampaignRequestError':
      throw new HttpProblem(400, e.message, { problems: e.problems ?? [] });
    default:
      throw error;
  }
}

function wavesWithCounters(stages: Array<{ index: number }>, counters: Map<number, Counters>) {
  return stages.map((s) => ({ ...s, counters: counters.get(s.index) ?? emptyCounters() }));
}

/** A page of a campaign, when the query asks for one: its devices from `offset` (at most `limit`), its latest `events`. */
function campaignPage(query: CampaignPageQuery): CampaignPage | undefined {
  if (query.limit === undefined && query.offset === undefined && query.events === undefined) return undefined;
  return { offset: Number(query.offset ?? 0), limit: Number(query.limit ?? 100), events: Number(query.events ?? 100) };
}

interface CampaignPageQuery {
  limit?: string;
  offset?: string;
  events?: string;
}

/** What the read routes need: the manager's campaigns, or the API front's own reads of them (http/front/). */
export interface CampaignReadService {
  list(limit?: number): Promise<CampaignRecord[]>;
  detail(id: string, page?: CampaignPage): Promise<CampaignDetail>;
}

/** The campaigns' list and page: reads only. */
export function registerCampaignReadRoutes(app: FastifyInstance, campaigns: CampaignReadService): void {
  app.get<{ Querystring: { limit?: string } }>(
    '/api/campaigns',
    {
      schema: {
        summary: 'List campaigns, newest first',
        tags: ['campaigns'],
        // Query strings arrive as text (the server does not coerce types): a number of 1 to 4 digits.
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'string', pattern: '^[1-9][0-9]{0,3}$', description: 'at most this many (default 100)' } },
        },
        response: { 200: { type: 'array', items: campaignSchema }, ...errorResponses },
      },
    },
    async (request) => campaigns.list(Math.min(1000, Number(request.query.limit ?? 100))),
  );

  app.get<{ Params: { campaign: string }; Querystring: CampaignPageQuery }>(
    '/api/campaigns/:campaign',
    {
      schema: {
        summary:
          'A campaign: its waves with counters, every device with its run, every event; or, with limit, offset or events, one page of its devices and its latest events (for campaigns of thousands of devices)',
        tags: ['campaigns'],
        params: campaignParams,
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'string', pattern: '^[1-9][0-9]{0,3}$', description: 'at most this many devices (1-9999; default 100 when paging)' },
            offset: { type: 'string', pattern: '^(0|[1-9][0-9]{0,5})$', description: 'devices skipped, in the campaign order (default 0)' },
            events: { type: 'string', pattern: '^(0|[1-9][0-9]{0,3})$', description: 'the latest this many events (default 100 when paging)' },
          },
        },
        response: { 200: campaignDetailSchema, ...errorResponses },
      },
    },
    async (request) => {
      const page = campaignPage(request.query);
      const { stageCounters, ...detail } = await campaigns.detail(request.params.campaign, page).catch(asHttp);
      return {
        ...detail,
        waves: wavesWithCounters(detail.campaign.stages, stageCounters),
        ...(page ? { page: { offset: page.offset, limit: page.limit, devices: Object.values(detail.campaign.counters).reduce((sum, n) => sum + n, 0) } } : {}),
      };
    },
  );
}

export function registerCampaignRoutes(app: FastifyInstance, campaigns: Campaigns): void {
  registerCampaignReadRoutes(app, campaigns);

  app.post<{ Body: CampaignRequest }>(
    '/api/campaigns',
    {
      schema: {
        summary:
          'Create a campaign: devices by list, model, version range or tags; an image; waves; concurrency, rate, threshold, approval, window, run policy',
        tags: ['campaigns'],
        body: newCampaignSchema,
        response: { 201: campaignSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const campaign = await campaigns.create(request.body, operatorActor(request.body.operator)).catch(asHttp);
      return reply.status(201).send(campaign);
    },
  );

  const controls = {
    pause: 'Pause: no new run starts; runs under way carry on',
    resume: 'Resume a paused campaign (the failures seen so far no longer count against the wave)',
    abort: 'Abort: no new run starts; each run under way reaches its safe end (completes or rolls back)',
    approve: 'Approve the wave that awaits approval',
  } as const;
  for (const [action, summary] of Object.entries(controls) as Array<[keyof typeof controls, string]>) {
    app.post<{ Params: { campaign: string }; Body: { operator?: string; wave?: number } | undefined }>(
      `/api/campaigns/:campaign/${action}`,
      {
        schema: { summary, tags: ['campaigns'], params: campaignParams, body: controlBody, response: { 200: campaignSchema, ...errorResponses } },
      },
      async (request) => {
        const id = request.params.campaign;
        const actor = operatorActor(request.body?.operator);
        if (action !== 'approve' && request.body?.wave !== undefined) throw new HttpProblem(400, 'bad request: wave goes with approve only');
        const done =
          action === 'approve'
            ? campaigns.approve(id, actor, request.body?.wave)
            : action === 'pause'
              ? campaigns.pause(id, actor)
              : action === 'resume'
                ? campaigns.resume(id, actor)
                : campaigns.abort(id, actor);
        return done.catch(asHttp);
      },
    );
  }
}
