// The notification receiver: informs (acknowledged before the application sees them) and SNMPv2 traps,
// over v3 (USM users) and v2c (communities). The device agent's tests and the manager both use it.
import { EventEmitter } from 'node:events';
import snmp from 'net-snmp';
import type { Notification, Receiver } from 'net-snmp';
import type { RemoteInfo, Socket } from 'node:dgram';
import type { Endpoint } from '../endpoint.ts';
import { checkUsmUser, type UsmUser } from './security.ts';
import { informAcknowledgement } from './inform-acknowledgement.ts';
import { netSnmpUser } from './net-snmp-user.ts';
import { ListeningSocket, closeQuietly } from './listening-socket.ts';
import { udpTransport } from './transport.ts';
import { snmpTrapOidInstance, sysUpTimeInstance } from './notification-oids.ts';
import type { Varbind } from './varbind.ts';

/**
 * A storm of notifications (a fleet booting at once) arrives faster than they are decoded: a deep
 * receive buffer holds them rather than dropping them. The kernel caps it at net.core.rmem_max.
 */
const receiveBufferBytes = 8 * 1024 * 1024;

export interface ReceiverOptions {
  address: string;
  /** 0 picks a free port. */
  port: number;
  users?: UsmUser[];
  communities?: string[];
}

export interface ReceivedNotification {
  kind: 'inform' | 'trap';
  version: 'v2c' | 'v3';
  /** snmpTrapOID.0: the notification's OID. */
  notification: string;
  /** The varbinds after sysUpTime.0 and snmpTrapOID.0. */
  varbinds: Varbind[];
  /** The user name (v3) or community (v2c) it came with. */
  securityName: string;
  from: Endpoint;
}

export interface ReceiverEvents {
  notification: [notification: ReceivedNotification];
  /** Messages that were not notifications or failed authentication: dropped, reported here. */
  rejected: [error: Error];
}

export class NotificationReceiver extends EventEmitter<ReceiverEvents> {
  #receiver: Receiver | undefined;
  #endpoint: Endpoint | undefined;

  private constructor() {
    super();
  }

  static async start(options: ReceiverOptions): Promise<NotificationReceiver> {
    const users = options.users ?? [];
    const communities = options.communities ?? [];
    users.forEach(checkUsmUser);
    if (users.length === 0 && communities.length === 0) throw new Error('a receiver needs a user or a community');
    const self = new NotificationReceiver();
    const socket = new ListeningSocket(options.port, receiveBufferBytes);
    const receiver = snmp.createReceiver(
      {
        address: options.address,
        transport: udpTransport(options.address),
        port: options.port,
        includeAuthentication: true,
        dgramModule: socket.dgramModule,
      },
      (error, notification) => self.#onReceived(error, notification),
    );
    self.#receiver = receiver;
    const authorizer = receiver.getAuthorizer();
    for (const user of users) authorizer.addUser(netSnmpUser(user));
    for (const community of communities) authorizer.addCommunity(community);
    takeDatagrams(receiver, socket.socket, (error) => self.#reject(error));
    try {
      self.#endpoint = await socket.listening();
    } catch (error) {
      await closeQuietly((done) => receiver.close(done));
      throw error;
    }
    return self;
  }

  get endpoint(): Endpoint {
    if (!this.#endpoint) throw new Error('receiver is not listening');
    return this.#endpoint;
  }

  async close(): Promise<void> {
    const receiver = this.#receiver;
    this.#receiver = undefined;
    if (receiver) await closeQuietly((done) => receiver.close(done));
  }

  #onReceived(error: Error | null, notification: Notification | undefined): void {
    if (error || !notification) {
      this.#reject(error ?? new Error('empty notification'));
      return;
    }
    const { pdu, rinfo } = notification;
    const trapOid = pdu.varbinds.find((v) => v.oid === snmpTrapOidInstance);
    if (!trapOid || typeof trapOid.value !== 'string') {
      this.#reject(new Error('notification without snmpTrapOID.0'));
      return;
    }
    this.emit('notification', {
      kind: pdu.type === snmp.PduType.InformRequest ? 'inform' : 'trap',
      version: pdu.user !== undefined ? 'v3' : 'v2c',
      notification: trapOid.value,
      varbinds: pdu.varbinds.filter((v) => v.oid !== snmpTrapOidInstance && v.oid !== sysUpTimeInstance),
      securityName: pdu.user ?? pdu.community ?? '',
      from: { address: rinfo.address, port: rinfo.port },
    });
  }

  #reject(error: Error): void {
    if (this.listenerCount('rejected') > 0) this.emit('rejected', error);
  }
}

/**
 * Hands each datagram to net-snmp's receiver, with two differences. net-snmp acknowledges an inform by
 * encoding a Response message anew, varbind by varbind; for v2c the datagram as received, its PDU tag
 * changed, is that message (see inform-acknowledgement.ts), so it is sent instead: parsing, authorization
 * and the callback stay net-snmp's. And net-snmp throws out of its handler when it cannot encode the
 * answer to an inform it has parsed (a varbind type it reads but does not write): that one datagram is
 * rejected, where it would end the process.
 */
function takeDatagrams(receiver: Receiver, socket: Socket, reject: (error: Error) => void): void {
  let datagram: Buffer | undefined;
  const send = receiver.listener.send.bind(receiver.listener);
  receiver.listener.send = (message, rinfo, from) => {
    const acknowledgement = datagram && message.version === snmp.Version2c ? informAcknowledgement(datagram) : undefined;
    // A lost acknowledgement is not the receiver's to report (net-snmp only logs it): the device sends again.
    if (acknowledgement) from.send(acknowledgement, rinfo.port, rinfo.address, () => {});
    else send(message, rinfo, from);
  };
  socket.removeAllListeners('message');
  socket.on('message', (buffer: Buffer, rinfo: RemoteInfo) => {
    datagram = buffer;
    try {
      receiver.onMsg(socket, buffer, rinfo);
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
    } finally {
      datagram = undefined;
    }
  });
}
