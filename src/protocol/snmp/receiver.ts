// The notification receiver: informs (acknowledged by net-snmp before we see them) and SNMPv2 traps,
// over v3 (USM users) and v2c (communities). The device agent's tests and the manager both use it.
import { EventEmitter } from 'node:events';
import snmp from 'net-snmp';
import type { Notification, Receiver } from 'net-snmp';
import type { Endpoint } from '../endpoint.ts';
import { checkUsmUser, type UsmUser } from './security.ts';
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
      if (this.listenerCount('rejected') > 0) this.emit('rejected', error ?? new Error('empty notification'));
      return;
    }
    const { pdu, rinfo } = notification;
    const trapOid = pdu.varbinds.find((v) => v.oid === snmpTrapOidInstance);
    if (!trapOid || typeof trapOid.value !== 'string') {
      if (this.listenerCount('rejected') > 0) this.emit('rejected', new Error('notification without snmpTrapOID.0'));
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
}
