// A manager with its HTTP face: the manager starts (its own listeners checked together with the API's,
// so that every busy port is named at once), then the API is built around it and listens. Stopped the
// other way round: the API first, so that no request reaches a manager that is stopping.
import { isIPv6 } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { type Manager, type ManagerOptions, managerDefaults, startManager } from '../../manager/manager.ts';
import type { Endpoint } from '../../protocol/endpoint.ts';
import { buildApiServer } from './server.ts';

export interface ServeOptions extends ManagerOptions {
  /** Where the HTTP API listens; port 0 picks a free one. */
  http?: Partial<Endpoint>;
}

export interface ServedManager extends Manager {
  /** Base URL of the HTTP API. */
  url: string;
  http: Endpoint;
  /** The HTTP server, for what only it knows (its routes). */
  api: FastifyInstance;
}

export async function serveManager(options: ServeOptions = {}): Promise<ServedManager> {
  const { http: given, ...managerOptions } = options;
  const http = { address: given?.address ?? managerDefaults.http.address, port: given?.port ?? managerDefaults.http.port };
  const manager = await startManager({
    ...managerOptions,
    reservedListeners: [{ service: 'HTTP API', transport: 'tcp', ...http, option: '--http-address/--http-port' }, ...(managerOptions.reservedListeners ?? [])],
  });
  let api: FastifyInstance;
  try {
    api = buildApiServer(manager, manager.logger);
    await api.listen({ host: http.address, port: http.port });
  } catch (error) {
    await manager.stop();
    throw error;
  }
  const bound = api.server.address();
  const endpoint = typeof bound === 'object' && bound ? { address: http.address, port: bound.port } : http;
  const url = `http://${isIPv6(endpoint.address) ? `[${endpoint.address}]` : endpoint.address}:${endpoint.port}`;
  manager.logger.info({ url }, 'HTTP API listening');
  await manager.announceApi(endpoint).catch((error: Error) => manager.logger.warn({ err: error }, 'API address not recorded for the other managers'));
  let stopping: Promise<void> | undefined;
  return {
    ...manager,
    url,
    http: endpoint,
    api,
    stop: () => (stopping ??= api.close().then(() => manager.stop())),
  };
}
