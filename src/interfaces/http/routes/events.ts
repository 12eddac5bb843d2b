// /api/events: the manager's live changes (runs, campaigns, devices) as server-sent events, for the
// dashboard. EventSource cannot send headers, so this route alone also takes its token as ?token=.
// Each stream unsubscribes when its client goes or the server closes.
import type { FastifyInstance } from 'fastify';
import { liveEventNames, type LiveEvents } from '../../../manager/live-events.ts';
import { defaultEventStreamOptions, EventStream, type EventStreamOptions } from '../event-stream.ts';

export const eventsPath = '/api/events';

export function registerEventRoutes(app: FastifyInstance, live: LiveEvents, options: EventStreamOptions = defaultEventStreamOptions): void {
  const open = new Set<EventStream>();
  // Streams never end on their own: without this, closing the server would wait for every client.
  app.addHook('preClose', async () => {
    for (const stream of open) stream.close();
  });

  app.get<{ Querystring: { token?: string } }>(
    eventsPath,
    {
      config: { tokenInQuery: true },
      schema: {
        summary: 'Live changes as server-sent events: hello (on connect), runChanged, campaignChanged, deviceChanged, resync (re-read everything)',
        tags: ['events'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { token: { type: 'string', maxLength: 256, description: 'the API token, for clients that cannot send an Authorization header' } },
        },
      },
    },
    async (_request, reply) => {
      reply.hijack();
      const stream = new EventStream(reply.raw, options);
      open.add(stream);
      const unsubscribe = liveEventNames.map((name) => live.on(name, (event) => stream.send(name, event as never)));
      const close = () => {
        for (const off of unsubscribe) off();
        open.delete(stream);
        stream.close();
      };
      // The response's close (not the request's, which closes once its body is read) is the client leaving.
      reply.raw.on('close', close);
      reply.raw.on('error', close);
    },
  );
}
