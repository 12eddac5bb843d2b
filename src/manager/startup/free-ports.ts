// Before anything heavy starts (PostgreSQL, the workflows), every address and port the manager will
// listen on is tried, so that a port already taken is reported at once and nothing is left half-started.
import { createSocket } from 'node:dgram';
import { createServer, isIP, isIPv6 } from 'node:net';

export interface Listener {
  /** What listens there, in the operator's words ("HTTP API", "TFTP"). */
  service: string;
  transport: 'tcp' | 'udp';
  address: string;
  /** 0: the system picks a free one, nothing to check. */
  port: number;
  /** The command-line option that changes it. */
  option: string;
}

export class ListenerError extends Error {
  override name = 'ListenerError';
}

/** Throws ListenerError naming the first listener that cannot bind, and the option that moves it. */
export async function checkListeners(listeners: Listener[]): Promise<void> {
  const seen = new Map<string, Listener>();
  for (const listener of listeners) {
    // Any address of this machine will do (a management network's, not only loopback); binding says
    // whether it is one. Devices are told these addresses, so a wildcard (0.0.0.0, ::) is no address.
    if (isIP(listener.address) === 0 || /^(0\.0\.0\.0|::)$/.test(listener.address)) {
      throw new ListenerError(
        `${listener.service}: ${JSON.stringify(listener.address)} is not one IPv4 or IPv6 address; choose another with ${listener.option}`,
      );
    }
    if (listener.port === 0) continue;
    const key = `${listener.transport}:${listener.address}:${listener.port}`;
    const clash = seen.get(key);
    if (clash) {
      throw new ListenerError(
        `${listener.service} and ${clash.service} are both set to ${listener.transport.toUpperCase()} ${listener.address}:${listener.port}; move one with ${listener.option}`,
      );
    }
    seen.set(key, listener);
    const problem = await (listener.transport === 'tcp' ? tryTcp(listener) : tryUdp(listener));
    if (problem) {
      throw new ListenerError(
        `${listener.service} cannot listen on ${listener.transport.toUpperCase()} ${listener.address}:${listener.port}: ${problem}; choose another with ${listener.option}`,
      );
    }
  }
}

function describe(error: NodeJS.ErrnoException): string {
  if (error.code === 'EADDRINUSE') return 'the port is taken by another program';
  if (error.code === 'EACCES') return 'permission denied (ports below 1024 need privileges)';
  if (error.code === 'EADDRNOTAVAIL') return 'the address is not available on this machine';
  return error.message;
}

function tryTcp(listener: Listener): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(describe(error)));
    server.listen({ host: listener.address, port: listener.port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

function tryUdp(listener: Listener): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(isIPv6(listener.address) ? 'udp6' : 'udp4');
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.close();
      resolve(describe(error));
    });
    socket.bind({ address: listener.address, port: listener.port, exclusive: true }, () => socket.close(() => resolve(undefined)));
  });
}
