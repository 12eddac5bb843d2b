// A device's configuration backups: listed with digests, or taken on demand (a small run of its own).
import type { FastifyInstance } from 'fastify';
import type { RunOptionsRequest } from '../../../manager/procedure/run-options.ts';
import { errorResponses, newBackupSchema } from '../schemas.ts';
import type { ApiServices } from '../services.ts';
import { deviceNamed, deviceParams } from './devices.ts';
import { operatorActor } from '../auth.ts';

export function registerBackupRoutes(app: FastifyInstance, services: ApiServices): void {
  app.get<{ Params: { device: string } }>(
    '/api/devices/:device/backups',
    {
      schema: {
        summary: 'The configurations the manager holds for a device: backups, migrations, operator edits',
        tags: ['backups'],
        params: deviceParams,
        response: { 200: { type: 'array', items: { $ref: 'Backup#' } }, ...errorResponses },
      },
    },
    async (request) => {
      const device = await deviceNamed(services, request.params.device);
      return services.files.listBackups(device.id);
    },
  );

  app.post<{ Params: { device: string }; Body: ({ operator?: string } & Pick<RunOptionsRequest, 'transport' | 'timeLimits'>) | undefined }>(
    '/api/devices/:device/backup',
    {
      schema: {
        summary: "Take a backup of the device's configuration now",
        tags: ['backups'],
        params: deviceParams,
        body: newBackupSchema,
        response: { 202: { type: 'object', properties: { runId: { type: 'string' } } }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const device = await deviceNamed(services, request.params.device);
      const { transport, timeLimits } = request.body ?? {};
      const options = { ...(transport ? { transport } : {}), ...(timeLimits ? { timeLimits } : {}) };
      const started = await services.procedure.startBackup({ deviceId: device.id, startedBy: operatorActor(request.body?.operator), options });
      return reply.status(202).send(started);
    },
  );
}
