// /api/runs: one upgrade run per device, its timeline, and the decisions operators send to runs that ask.
import type { FastifyInstance } from 'fastify';
import { publicDevice, type DecisionAnswer, type RunRecord, type RunState } from '../../../manager/store/records.ts';
import type { PolicyRequest } from '../../../manager/procedure/policy.ts';
import type { RunOptionsRequest } from '../../../manager/procedure/run-options.ts';
import { checkNames, checkReport, checkRounds } from '../../../manager/procedure/checks.ts';
import { runCounts } from '../../../manager/procedure/run-counts.ts';
import { runConfigurations } from '../../../manager/run-configurations.ts';
import { eachAtMost } from '../../../common/each-at-most.ts';
import { HttpProblem, notFound, type ErrorBody } from '../errors.ts';
import { refusal } from '../refusals.ts';
import { operatorActor } from '../auth.ts';
import { errorResponses, newDecisionSchema, newRunSchema, newRunsSchema, nullable, operatorBodySchema, runState } from '../schemas.ts';
import type { ApiServices } from '../services.ts';
import { deviceNamed } from './devices.ts';
import { imageNamed } from './images.ts';

/** What a request to start runs chooses besides the devices and the image. */
type RunChoices = { policy?: PolicyRequest; operator?: string } & RunOptionsRequest;

/**
 * Runs of a batch started at once: enough to keep the database busy, not the whole fleet's worth of
 * requests. The runs' rows are written together (store/runs.ts gathers the creates made at once), so a
 * wider batch writes fewer, larger statements. On a busy two-core manager (bench/fleet.ts, 1,000
 * devices) a batch answered in 39 s at 32 where it took 62–70 s at 8, and the fleet finished sooner
 * for less CPU per device; at 64 it answered in 22–25 s, but the fleet finished no sooner.
 */
const batchWidth = 32;

const runParams = { type: 'object', required: ['run'], properties: { run: { type: 'string', minLength: 1, maxLength: 128 } } } as const;

const runDetailSchema = {
  type: 'object',
  properties: {
    run: { $ref: 'Run#' },
    device: { $ref: 'Device#' },
    progress: { anyOf: [{ type: 'integer' }, { type: 'null' }], description: 'progress of the operation under way, 0-100, when the device reports one' },
    timeline: { type: 'array', items: { $ref: 'RunEvent#' } },
    decisions: { type: 'array', items: { $ref: 'Decision#' } },
    counts: {
      type: 'object',
      description: 'what the timeline counts: retries the policy scheduled, and reverts ordered (revertSoftware operations sent to the device)',
      required: ['retries', 'reverts'],
      properties: { retries: { type: 'integer' }, reverts: { type: 'integer' } },
    },
    checks: {
      type: 'object',
      description: "the run's pre-checks and post-checks: a row per check, its verdict (pass, fail, skip) and why in each round that ran",
      properties: {
        rounds: { type: 'array', items: { type: 'string', enum: checkRounds } },
        rows: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              name: { type: 'string', enum: checkNames },
              verdicts: {
                type: 'object',
                additionalProperties: {
                  type: 'object',
                  properties: { verdict: { type: 'string', enum: ['pass', 'fail', 'skip'] }, message: { type: 'string' } },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;

const shownConfig = nullable({
  type: 'object',
  properties: {
    sha256: { type: 'string' },
    kind: { type: 'string', enum: ['backup', 'migrated', 'operator'] },
    configFormat: { type: 'integer' },
    configDigest: { type: 'string' },
    text: { type: 'string' },
  },
});

const runConfigurationsSchema = {
  type: 'object',
  properties: {
    original: shownConfig,
    restored: shownConfig,
    readBack: {
      type: 'object',
      properties: {
        configDigest: nullable({ type: 'string' }),
        matches: nullable({ type: 'string', enum: ['restored', 'original', 'neither'] }),
        text: nullable({ type: 'string' }),
      },
    },
    diffs: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          from: { type: 'string' },
          to: { type: 'string' },
          lines: {
            type: 'array',
            items: { type: 'object', properties: { op: { type: 'string', enum: ['same', 'removed', 'added'] }, text: { type: 'string' } } },
          },
        },
      },
    },
  },
} as const;

export async function runNamed(services: ApiServices, id: string): Promise<RunRecord> {
  const run = await services.procedure.runs.get(id);
  if (!run) throw notFound('run', id);
  return run;
}

export function registerRunRoutes(app: FastifyInstance, services: ApiServices): void {
  const { procedure, metrics } = services;

  app.get<{ Querystring: { device?: string; state?: RunState; limit?: string } }>(
    '/api/runs',
    {
      schema: {
        summary: 'List runs, newest first',
        tags: ['runs'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            device: { type: 'string', maxLength: 64 }, // Query strings are text and the server does not coerce types: a number is a pattern.
            limit: { type: 'string', pattern: '^(1000|[1-9][0-9]{0,2})$', description: 'at most this many (1 to 1000, default 100)' },
            state: runState,
          },
        },
        response: { 200: { type: 'array', items: { $ref: 'Run#' } }, ...errorResponses },
      },
    },
    async (request) => {
      const device = request.query.device ? await deviceNamed(services, request.query.device) : undefined;
      const { state, limit } = request.query;
      return procedure.runs.list({ ...(device ? { deviceId: device.id } : {}), ...(state ? { state } : {}), ...(limit ? { limit: Number(limit) } : {}) });
    },
  );

  /** Starts one device's run with the request's image and choices; what the API refuses is thrown. */
  async function startOne(reference: string, imageSha256: string, body: RunChoices): Promise<RunRecord> {
    const device = await deviceNamed(services, reference);
    const { policy, transport, timeLimits, reinstall, converter, stage, whenIdle, skipChecks } = body;
    const run = await procedure.startRun({
      deviceId: device.id,
      imageSha256,
      ...(policy ? { policy } : {}),
      options: {
        ...(transport ? { transport } : {}),
        ...(timeLimits ? { timeLimits } : {}),
        ...(reinstall !== undefined ? { reinstall } : {}),
        ...(converter ? { converter } : {}),
        ...(stage !== undefined ? { stage } : {}),
        ...(whenIdle !== undefined ? { whenIdle } : {}),
        ...(skipChecks ? { skipChecks } : {}),
      },
      startedBy: operatorActor(body.operator),
    });
    metrics.runsStarted.inc();
    return run;
  }

  app.post<{ Body: { device: string; image: string } & RunChoices }>(
    '/api/runs',
    {
      schema: {
        summary: 'Start upgrading one device to an image the manager holds',
        tags: ['runs'],
        body: newRunSchema,
        response: { 201: { $ref: 'Run#' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const image = await imageNamed(services, request.body.image);
      return reply.status(201).send(await startOne(request.body.device, image.sha256, request.body));
    },
  );

  app.post<{ Body: { devices: string[]; image: string } & RunChoices }>(
    '/api/runs/batch',
    {
      schema: {
        summary: 'Start upgrading many devices to one image: a run each, with the same choices (an image the manager does not hold refuses them all)',
        tags: ['runs'],
        body: newRunsSchema,
        response: {
          200: {
            type: 'object',
            properties: {
              runs: { type: 'array', items: { $ref: 'Run#' }, description: 'the runs started, in the order of the devices' },
              refused: {
                type: 'array',
                description:
                  'devices that could not start (unknown, already in a run, the wrong model) with the status and error their own request would have had',
                items: {
                  type: 'object',
                  properties: { device: { type: 'string' }, status: { type: 'integer' }, error: { type: 'string' }, reason: { type: 'string' } },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const image = await imageNamed(services, request.body.image);
      const started: Array<RunRecord | undefined> = [];
      const refused: Array<{ device: string; status: number } & ErrorBody> = [];
      await eachAtMost(batchWidth, request.body.devices, async (reference, i) => {
        try {
          started[i] = await startOne(reference, image.sha256, request.body);
        } catch (error) {
          const known = refusal(error as Error);
          if (!known) request.log.error({ err: error, device: reference }, 'run not started');
          refused.push({
            device: reference,
            ...(known ? { status: known.status, ...known.body } : { status: 500, error: `internal error: ${(error as Error).message}` }),
          });
        }
      });
      return { runs: started.filter((run) => run !== undefined), refused };
    },
  );

  app.get<{ Params: { run: string } }>(
    '/api/runs/:run',
    {
      schema: {
        summary: 'A run with its device, timeline (every phase, notification, retry, decision, with times) and progress',
        tags: ['runs'],
        params: runParams,
        response: { 200: runDetailSchema, ...errorResponses },
      },
    },
    async (request) => {
      const run = await runNamed(services, request.params.run);
      const [device, timeline, decisions] = await Promise.all([
        services.inventory.devices.get(run.deviceId),
        procedure.runs.timeline(run.id),
        procedure.runs.decisions(run.id),
      ]);
      return {
        run,
        device: device && publicDevice(device),
        progress: procedure.progress(run.id) ?? null,
        timeline,
        decisions,
        counts: runCounts(timeline),
        checks: checkReport(timeline),
      };
    },
  );

  app.get<{ Params: { run: string } }>(
    '/api/runs/:run/configurations',
    {
      schema: {
        summary:
          "A run's configurations side by side: the original backup, the one restored (its migration, or an operator's edit), what the device runs at the end, and the line diffs between them",
        tags: ['runs'],
        params: runParams,
        response: { 200: runConfigurationsSchema, ...errorResponses },
      },
    },
    async (request) => {
      const run = await runNamed(services, request.params.run);
      return runConfigurations(run, await procedure.runs.timeline(run.id), services.files);
    },
  );

  app.post<{ Params: { run: string }; Body: { answer: DecisionAnswer; image?: string; config?: string; operator?: string } }>(
    '/api/runs/:run/decision',
    {
      schema: {
        summary:
          'Answer a run that waits: retry (optionally with a corrected image or an edited configuration), abort, or keep the new software; ' +
          'or a staged run: activate, or abort (its device keeps the software it runs)',
        tags: ['runs'],
        params: runParams,
        body: newDecisionSchema,
        response: { 201: { $ref: 'Decision#' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const run = await runNamed(services, request.params.run);
      const { answer, image, config, operator } = request.body;
      // Checked here too, so that an edited configuration is not stored for a run that cannot take it.
      if (run.state !== 'waiting' && run.state !== 'staged') throw new HttpProblem(409, `run ${run.id} is not waiting for a decision (it is ${run.state})`);
      const corrected = image ? await imageNamed(services, image) : undefined;
      // Checked by the rules of the device's family: a vendor's configuration is its own text.
      const family = (await services.inventory.devices.get(run.deviceId))?.family;
      const edited = config
        ? await services.files.storeConfig(Buffer.from(config, 'utf8'), {
            deviceId: run.deviceId,
            runId: run.id,
            kind: 'operator',
            derivedFrom: null,
            ...(family ? { family } : {}),
          })
        : undefined;
      const decision = await procedure.decide(run.id, {
        answer,
        actor: operatorActor(operator),
        ...(corrected ? { imageSha256: corrected.sha256 } : {}),
        ...(edited ? { backupSha256: edited.sha256 } : {}),
      });
      metrics.decisions.inc({ answer });
      return reply.status(201).send(decision);
    },
  );

  app.post<{ Params: { run: string }; Body: { operator?: string } }>(
    '/api/runs/:run/activate',
    {
      schema: {
        summary:
          'Activate a staged run: the device is pre-checked again (a configuration changed since the backup is backed up again), waits for its calls to end ' +
          'if the run asks so, then boots the staged software; configuration, verify and post-checks follow. A check that fails leaves the run staged. 409 unless staged',
        tags: ['runs'],
        params: runParams,
        body: operatorBodySchema,
        response: { 201: { $ref: 'Decision#' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const run = await runNamed(services, request.params.run);
      const decision = await procedure.decide(run.id, { answer: 'activate', actor: operatorActor(request.body?.operator) });
      metrics.decisions.inc({ answer: 'activate' });
      return reply.status(201).send(decision);
    },
  );

  app.post<{ Params: { run: string }; Body: { operator?: string } }>(
    '/api/runs/:run/cancel',
    {
      schema: {
        summary:
          'Cancel a running run: it stops at its next safe point (an operation already ordered is awaited to its end; a retry backoff or a wait for a decision is cut short), ' +
          'then ends with nothing changed (before the upgrade) or rolls the device back fully. Repeating the request changes nothing; an ended run answers 409',
        tags: ['runs'],
        params: runParams,
        body: operatorBodySchema,
        response: {
          202: {
            type: 'object',
            properties: {
              run: { $ref: 'Run#' },
              repeated: { type: 'boolean', description: 'the run had been asked to cancel already (by run.cancelRequestedBy); this request changed nothing' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const answer = await procedure.cancel(request.params.run, operatorActor(request.body?.operator));
      return reply.status(202).send(answer);
    },
  );
}
