// A manager with its HTTP face: the manager starts (its own listeners checked together with the API's,
// so that every busy port is named at once), then the API is built around it and listens on a private
// socket, and the API's front (front/) listens where clients connect, on a thread of its own. Stopped
// the other way round: the API first, so that no request reaches a manager that is stopping.
import { chmodSync, readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { type Manager, type ManagerOptions, ManagerStartError, managerDefaults, startManager } from '../../manager/manager.ts';
import type { Endpoint } from '../../protocol/endpoint.ts';
import { buildApiServer } from './server.ts';
import type { FailedTokenLimits } from './auth-limit.ts';
import { ApiFrontThread, managerSocketPath } from './front/api-front.ts';

export interface ServeOptions extends ManagerOptions {
  /** Where the HTTP API listens; port 0 picks a free one. */
  http?: Partial<Endpoint>;
  /** Invalid tokens a client address may send before it is refused for a while (http/auth-limit.ts). */
  failedTokens?: Partial<FailedTokenLimits>;
  /** Serve the API and dashboard over HTTPS with this certificate and key (PEM files). */
  tls?: { certFile: string; keyFile: string };
}

/** The certificate and key, read and checked before anything starts: a bad file changes nothing. */
function readTls(tls: { certFile: string; keyFile: string }): { cert: Buffer; key: Buffer } {
  const read = (file: string, what: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new ManagerStartError(`TLS ${what} ${file}: ${(error as Error).message}`, { cause: error });
    }
  };
  const pair = { cert: read(tls.certFile, 'certificate'), key: read(tls.keyFile, 'key') };
  try {
    createSecureContext(pair);
  } catch (error) {
    throw new ManagerStartError(`TLS certificate ${tls.certFile} with key ${tls.keyFile}: ${(error as Error).message}`, { cause: error });
  }
  return pair;
}

export interface ServedManager extends Manager {
  /** Base URL of the HTTP API. */
  url: string;
  http: Endpoint;
  /** The manager's HTTP API behind the front, for what only it knows (its routes). */
  api: FastifyInstance;
}

export async function serveManager(options: ServeOptions = {}): Promise<ServedManager> {
  const { http: given, tls, failedTokens, ...managerOptions } = options;
  const http = { address: given?.address ?? managerDefaults.http.address, port: given?.port ?? managerDefaults.http.port };
  const https = tls ? readTls(tls) : undefined;
  const front = ApiFrontThread.load();
  let manager: Manager;
  try {
    manager = await startManager({
      ...managerOptions,
      reservedListeners: [
        { service: 'HTTP API', transport: 'tcp', ...http, option: '--http-address/--http-port' },
        ...(managerOptions.reservedListeners ?? []),
      ],
    });
  } catch (error) {
    await front.stop(false);
    throw error;
  }
  const socket = managerSocketPath(manager.dataDir);
  let api: FastifyInstance | undefined;
  let port: number;
  try {
    api = buildApiServer(manager, manager.logger, { behindFront: true, ...(failedTokens ? { failedTokens } : {}) });
    await api.listen({ path: socket.path });
    chmodSync(socket.path, 0o600);
    port = await front.start(
      {
        listen: http,
        ...(https ? { https } : {}),
        managerSocket: socket.path,
        databaseUrl: manager.databaseUrl,
        ...(failedTokens ? { failedTokens } : {}),
        logLevel: manager.logger.level,
      },
      manager.logger,
      manager.metrics,
    );
  } catch (error) {
    await front.stop(false);
    await api?.close();
    socket.remove();
    await manager.stop();
    throw error;
  }
  const endpoint = { address: http.address, port };
  const url = `${https ? 'https' : 'http'}://${isIPv6(endpoint.address) ? `[${endpoint.address}]` : endpoint.address}:${endpoint.port}`;
  manager.logger.info({ url }, 'HTTP API listening');
  await manager.announceApi(endpoint).catch((error: Error) => manager.logger.warn({ err: error }, 'API address not recorded for the other managers'));
  const served = api;
  let stopping: Promise<void> | undefined;
  return {
    ...manager,
    url,
    http: endpoint,
    api: served,
    // The front stops taking requests while the API ends its event streams (which the front passes on).
    stop: () =>
      (stopping ??= Promise.all([front.stop(), served.close()]).then(() => {
        socket.remove();
        return manager.stop();
      })),
  };
}
