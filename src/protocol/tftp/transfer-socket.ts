// UDP sockets for TFTP transfers: one per transfer (its TID, RFC 1350 section 4), bound to a given
// local address, with large kernel buffers so a window of blocks is not dropped on arrival.
import dgram from 'node:dgram';
import { isIPv4 } from 'node:net';
import { TftpErrorCode, encodeError } from './packet.ts';

export interface Peer {
  address: string;
  port: number;
}

const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

export function peerLabel(peer: Peer): string {
  return `${peer.address}:${peer.port}`;
}

export function samePeer(a: Peer, b: Peer): boolean {
  return a.port === b.port && a.address === b.address;
}

/**
 * Every address here is an IPv4 literal (checked when the transfer starts), so the lookup dgram does
 * before each send can answer at once instead of a tick later through the resolver.
 */
const literalLookup = (
  hostname: string,
  _options: unknown,
  callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void => callback(null, hostname, 4);

export function assertIPv4(address: string, what: string): void {
  if (!isIPv4(address)) throw new TypeError(`${what} must be an IPv4 address, got "${address}"`);
}

/** A UDP socket bound to `address` (port chosen by the system unless given). */
export async function bindUdpSocket(address: string | undefined, port = 0): Promise<dgram.Socket> {
  if (address !== undefined) assertIPv4(address, 'local address');
  const socket = dgram.createSocket({
    type: 'udp4',
    lookup: literalLookup as unknown as dgram.SocketOptions['lookup'],
    recvBufferSize: SOCKET_BUFFER_BYTES,
    sendBufferSize: SOCKET_BUFFER_BYTES,
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      socket.close();
      reject(error);
    };
    socket.once('error', onError);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
  return socket;
}

export function sendTo(socket: dgram.Socket, packet: Buffer, peer: Peer): void {
  try {
    socket.send(packet, peer.port, peer.address);
  } catch {
    // The socket was closed under us (transfer ended): nothing left to tell.
  }
}

/** RFC 1350: a packet from another port than the transfer's peer gets error 5 and changes nothing. */
export function answerStranger(socket: dgram.Socket, stranger: Peer): void {
  sendTo(socket, encodeError(TftpErrorCode.unknownTransferId, 'unknown transfer ID'), stranger);
}

export function closeQuietly(socket: dgram.Socket): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}
