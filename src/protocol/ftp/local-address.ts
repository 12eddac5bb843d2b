// Makes every socket of a basic-ftp client leave from one local address.
//
// A virtual device owns one loopback address and the file server must see its transfers come from
// it (that is how the server ties a transfer to a device). basic-ftp has no option for the local
// address, but it creates every socket, the control connection in Client.connect() and each passive
// data connection in connectForPassiveTransfer(), through FTPContext._newSocket(), and connects each
// with an options object. Replacing that one factory on the client's own context therefore covers
// every connection without touching the library.
import { Socket, type SocketConnectOpts } from 'node:net';
import type { Client } from 'basic-ftp';

export function bindClientSocketsTo(client: Client, localAddress: string): void {
  client.ftp._newSocket = () => socketLeavingFrom(localAddress);
}

function socketLeavingFrom(localAddress: string): Socket {
  const socket = new Socket();
  const connect = socket.connect.bind(socket) as (options: SocketConnectOpts, listener?: () => void) => Socket;
  socket.connect = ((...args: unknown[]) => {
    const [options, listener] = args;
    // basic-ftp only ever calls connect(options, listener); any other form would bypass the
    // local address silently, so it is refused loudly instead.
    if (typeof options !== 'object' || options === null || 'path' in options) {
      throw new TypeError('FTP sockets must be connected with a TCP options object');
    }
    return connect({ ...(options as SocketConnectOpts), localAddress } as SocketConnectOpts, listener as (() => void) | undefined);
  }) as Socket['connect'];
  return socket;
}
