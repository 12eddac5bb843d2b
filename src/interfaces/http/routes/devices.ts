// /api/devices: the inventory. Devices are named in paths by id, name or address. Who changes it is
// recorded as the other actions are: the body's `operator` where the request has a JSON body (as runs
// and campaigns), the holder of the token used where it has none (an import's body is the file, as an
// image upload's; a DELETE has none, as a token's revoke).
import type { FastifyInstance } from 'fastify';
import { publicDevice, type DeviceRecord } from '../../../manager/store/records.ts';
import type { ImportFormat } from '../../../manager/inventory/import-file.ts';
import { operatorActor, tokenHolder } from '../auth.ts';
import { HttpProblem, mediaType, notFound } from '../errors.ts';
import { discoverSchema, discoveryReportSchema, errorResponses, newDeviceSchema, operatorBodySchema } from '../schemas.ts';
import type { ApiServices } from '../services.ts';

export const deviceParams = {
  type: 'object',
  required: ['device'],
  properties: { device: { type: 'string', minLength: 1, maxLength: 64, description: 'device id, name or address' } },
} as const;

/** The device a path names, or a 404. */
export async function deviceNamed(services: ApiServices, reference: string): Promise<DeviceRecord> {
  const device = await services.inventory.devices.find(reference);
  if (!device) throw notFound('device', reference);
  return device;
}

const importTypes: Record<string, ImportFormat> = { 'text/csv': 'csv', 'application/yaml': 'yaml', 'text/yaml': 'yaml', 'application/x-yaml': 'yaml' };

export function registerDeviceRoutes(app: FastifyInstance, services: ApiServices): void {
  const { inventory, metrics } = services;

  app.get(
    '/api/devices',
    {
      schema: { summary: 'List the inventory', tags: ['devices'], response: { 200: { type: 'array', items: { $ref: 'Device#' } } } },
    },
    async () => (await inventory.devices.list()).map(publicDevice),
  );

  app.post<{ Body: Record<string, unknown> & { operator?: string } }>(
    '/api/devices',
    {
      schema: {
        summary: "Add a device (SNMPv3 user, or v2c community; the reference agent's laboratory user when neither is given)",
        tags: ['devices'],
        body: newDeviceSchema,
        response: { 201: { $ref: 'Device#' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { operator, ...spec } = request.body;
      const device = await inventory.add(spec, operatorActor(operator));
      metrics.devicesAdded.inc({ how: 'add' });
      return reply.status(201).send(publicDevice(device));
    },
  );

  app.get<{ Params: { device: string } }>(
    '/api/devices/:device',
    {
      schema: { summary: 'One device', tags: ['devices'], params: deviceParams, response: { 200: { $ref: 'Device#' }, ...errorResponses } },
    },
    async (request) => publicDevice(await deviceNamed(services, request.params.device)),
  );

  app.post<{ Params: { device: string }; Body: { operator?: string } | undefined }>(
    '/api/devices/:device/refresh',
    {
      schema: {
        summary: 'Read the device again over SNMP (model, versions, banks, configuration format) and record when it was seen',
        tags: ['devices'],
        params: deviceParams,
        body: operatorBodySchema,
        response: { 200: { $ref: 'Device#' }, ...errorResponses, 502: { $ref: 'Error#' } },
      },
      // A refresh has always been a POST without a body: one without still means "no operator named".
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => publicDevice(await inventory.refresh(await deviceNamed(services, request.params.device), operatorActor(request.body?.operator))),
  );

  app.delete<{ Params: { device: string } }>(
    '/api/devices/:device',
    {
      schema: {
        summary: 'Remove a device (refused while it has runs or backups on record); recorded as done by the holder of the token used',
        tags: ['devices'],
        params: deviceParams,
        response: { 200: { $ref: 'Device#' }, ...errorResponses },
      },
    },
    async (request) => {
      const device = await deviceNamed(services, request.params.device);
      if (!(await inventory.remove(device, tokenHolder(request.access)))) throw notFound('device', request.params.device);
      return publicDevice(device);
    },
  );

  app.post<{ Body: Record<string, unknown> & { cidr: string; concurrency?: number; timeoutMs?: number; operator?: string } }>(
    '/api/devices/discover',
    {
      schema: {
        summary: 'Read every address of a block over SNMP; add the devices that answer',
        tags: ['devices'],
        body: discoverSchema,
        response: { 200: discoveryReportSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { cidr, concurrency, timeoutMs, operator, ...credentials } = request.body;
      const report = await inventory.discover({
        cidr,
        credentials,
        actor: operatorActor(operator),
        ...(concurrency ? { concurrency } : {}),
        ...(timeoutMs ? { timeoutMs } : {}),
      });
      metrics.devicesAdded.inc({ how: 'discover' }, report.found.filter((f) => f.added).length);
      return { ...report, found: report.found.map((f) => ({ device: publicDevice(f.device), added: f.added })) };
    },
  );

  app.post<{ Body: string }>(
    '/api/devices/import',
    {
      schema: {
        summary:
          'Import devices from a CSV (text/csv) or YAML (application/yaml) file: all of them, or none when a row is wrong; recorded as done by the holder of the token used',
        tags: ['devices'],
        consumes: Object.keys(importTypes),
        response: { 201: { type: 'object', properties: { added: { type: 'array', items: { $ref: 'Device#' } } } }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const format = importTypes[mediaType(request.headers['content-type'])];
      if (!format || typeof request.body !== 'string') {
        throw new HttpProblem(415, `send the file as ${Object.keys(importTypes).join(' or ')}`);
      }
      const added = await inventory.import(request.body, format, tokenHolder(request.access));
      metrics.devicesAdded.inc({ how: 'import' }, added.length);
      return reply.status(201).send({ added: added.map(publicDevice) });
    },
  );

  app.addContentTypeParser(Object.keys(importTypes), { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_request, body, done) => done(null, body));
}
