// net-snmp binds its agent and receiver sockets itself, without telling when (or whether) the bind
// worked, and turns port 0 into 161/162. Handing it this stand-in for node:dgram gives us the socket:
// we bind the port we mean (0 included) and wait for 'listening' or the bind error.
import dgram, { type Socket } from 'node:dgram';
import type { Endpoint } from '../endpoint.ts';

export class ListeningSocket {
  #socket: Socket | undefined;

  /** `receiveBufferBytes`: the socket's receive buffer (the kernel caps it at net.core.rmem_max). */
  constructor(
    private readonly port: number,
    private readonly receiveBufferBytes?: number,
  ) {}

  /** The module to pass as net-snmp's dgramModule option. */
  readonly dgramModule = {
    createSocket: (type: 'udp4' | 'udp6'): Socket => {
      const socket = dgram.createSocket({ type, ...(this.receiveBufferBytes ? { recvBufferSize: this.receiveBufferBytes } : {}) });
      const bind = socket.bind.bind(socket) as (port: number, address?: string) => Socket;
      const port = this.port;
      // net-snmp calls bind(port, address); only the address is taken from it.
      socket.bind = ((_port: number, address?: string) => bind(port, address ?? undefined)) as Socket['bind'];
      this.#socket = socket;
      return socket;
    },
  };

  get socket(): Socket {
    if (!this.#socket) throw new Error('net-snmp has not created its socket');
    return this.#socket;
  }

  /** Resolves with the bound endpoint, or rejects with the bind error (address in use, not local, ...). */
  listening(): Promise<Endpoint> {
    const socket = this.socket;
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => {
        socket.off('listening', onListening);
        reject(error);
      };
      const onListening = () => {
        socket.off('error', onError);
        const { address, port } = socket.address();
        resolve({ address, port });
      };
      socket.once('error', onError);
      socket.once('listening', onListening);
    });
  }
}

/** Closes a socket that may already be closed. */
export function closeQuietly(close: (callback: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    try {
      close(() => resolve());
    } catch {
      resolve();
    }
  });
}
