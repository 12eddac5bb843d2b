// A UDP socket on loopback for sending fuzzed datagrams and catching what comes back, with every wait
// bounded: the targets' servers may answer, stay silent or answer from another port (a TFTP transfer's TID).
import dgram from 'node:dgram';

export interface Reply {
  message: Buffer;
  port: number;
}

export class UdpPeer {
  private readonly replies: Reply[] = [];
  private waiter: (() => void) | undefined;

  private constructor(readonly socket: dgram.Socket) {
    socket.on('message', (message, rinfo) => {
      this.replies.push({ message, port: rinfo.port });
      this.waiter?.();
    });
    socket.on('error', () => undefined);
  }

  static async open(address = '127.0.0.1'): Promise<UdpPeer> {
    const socket = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, address, () => resolve());
    });
    return new UdpPeer(socket);
  }

  send(message: Buffer, port: number, address = '127.0.0.1'): Promise<void> {
    return new Promise((resolve) => this.socket.send(message, port, address, () => resolve()));
  }

  /** The next reply, or undefined after `ms`. */
  async next(ms: number): Promise<Reply | undefined> {
    if (this.replies.length === 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.replies.shift();
  }

  close(): void {
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}
