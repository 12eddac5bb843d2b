// UDP sockets for TFTP transfers: one per transfer (its TID, RFC 1350 section 4), bound to a given
// local address, with large kernel buffers so a window of blocks is not dropped on arrival.
import dgram from 'node:dgram';
import { isIP, isIPv6 } from 'node:net';
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
 * Every address here is an IP literal (checked when the transfer starts), so the lookup dgram does
 * before each send can answer at once instead of a tick later through the resolver. dgram passes the
 * socket's family (4 or 6) as the options: answering with it spares a pass of the IPv6 pattern over
 * the address on every packet sent.
 */
const literalLookup = (
  hostname: string,
  options: number | { family?: number | string } | undefined,
  callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void => {
  const family = typeof options === 'number' ? options : options?.family;
  callback(null, hostname, family === 4 || family === 6 ? family : isIPv6(hostname) ? 6 : 4);
};

export function assertIPAddress(address: string, what: string): void {
  if (isIP(address) === 0) throw new TypeError(`${what} must be an IPv4 or IPv6 address, got "${address}"`);
}

/**
 * A UDP socket bound to `address` (port chosen by the system unless given), of the family of `peer`
 * when given (a socket of one family cannot reach the other), else of `address`.
 */
export async function bindUdpSocket(address: string | undefined, port = 0, peer?: string): Promise<dgram.Socket> {
  if (address !== undefined) assertIPAddress(address, 'local address');
  const type = isIPv6(peer ?? address ?? '') ? 'udp6' : 'udp4';
  if (address !== undefined && peer !== undefined && isIPv6(address) !== isIPv6(peer)) {
    throw new TypeError(`cannot reach ${peer} from ${address}: one is IPv4, the other IPv6`);
  }
  const socket = dgram.createSocket({
    type,
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
