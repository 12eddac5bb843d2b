// /api/managers: the managers sharing the database, as one system: who is up, when each last
// heartbeat, who took over whom, and how many runs and campaigns each executes now.
import type { FastifyInstance } from 'fastify';
import type { ApiServices } from '../services.ts';

export function registerManagerRoutes(app: FastifyInstance, services: Pick<ApiServices, 'managers' | 'executorId'>): void {
  app.get(
    '/api/managers',
    {
      schema: {
        summary: 'List the managers sharing the database, their state, last heartbeat and the work each holds',
        tags: ['managers'],
        response: { 200: { type: 'array', items: { $ref: 'Manager#' } } },
      },
    },
    async () => (await services.managers()).map((manager) => ({ ...manager, self: manager.executorId === services.executorId })),
  );
}
