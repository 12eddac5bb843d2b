// The command responder: net-snmp's agent bound to one address, with a MIB refreshed before every
// request, SETs handled as one all-or-nothing unit by the caller, and a switch that makes the agent
// silent (a device that is rebooting or powered off does not answer at all).
//
// net-snmp's own SET path is not used: it runs handlers twice, creates table rows before values are
// validated, and ignores the varbind's type. Reads (get, getNext, getBulk) go through its Mib, plain
// ones answered from its instance nodes directly (read-request.ts).
import snmp from 'net-snmp';
import type { Agent, IncomingMessage, Mib, Provider } from 'net-snmp';
import type { Socket, RemoteInfo } from 'node:dgram';
import type { Endpoint } from '../endpoint.ts';
import { checkUsmUser, type UsmUser } from './security.ts';
import { netSnmpUser } from './net-snmp-user.ts';
import { ListeningSocket, closeQuietly } from './listening-socket.ts';
import { udpTransport } from './transport.ts';
import { MibView } from './mib-view.ts';
import { answerRead } from './read-request.ts';
import { errorStatusNumber, type ErrorStatusName, type Varbind } from './varbind.ts';

/** The outcome of a SET: applied, or refused at one varbind (0-based) with nothing changed. */
export type SetResult = { status: 'noError' } | { status: Exclude<ErrorStatusName, 'noError'>; index: number };

export interface SnmpAgentOptions {
  address: string;
  /** 0 picks a free port. */
  port: number;
  engineId: Buffer;
  users: UsmUser[];
  communities: string[];
  providers: Provider[];
  /** false: drop the request without answering. */
  isAnswering: () => boolean;
  /** Brings the served values up to date; called before each request. */
  refresh: (view: MibView) => void;
  /** Validates and applies a whole SET request. */
  set: (varbinds: Varbind[]) => SetResult;
  /** Requests that were dropped as malformed, unauthenticated or failing inside the agent. */
  onRequestError?: (error: Error) => void;
}

export class SnmpAgent {
  readonly #agent: Agent;
  readonly #view: MibView;
  readonly #options: SnmpAgentOptions;
  #endpoint: Endpoint | undefined;
  #closed = false;

  private constructor(agent: Agent, options: SnmpAgentOptions) {
    this.#agent = agent;
    this.#options = options;
    this.#view = new MibView(agent.getMib(), options.providers);
  }

  static async start(options: SnmpAgentOptions): Promise<SnmpAgent> {
    options.users.forEach(checkUsmUser);
    if (options.users.length === 0 && options.communities.length === 0) {
      throw new Error('an agent needs a user or a community');
    }
    const listening = new ListeningSocket(options.port);
    let self: SnmpAgent | undefined;
    const agent = snmp.createAgent(
      {
        address: options.address,
        transport: udpTransport(options.address),
        port: options.port,
        engineID: options.engineId,
        accessControlModelType: snmp.AccessControlModelType.Simple,
        dgramModule: listening.dgramModule,
      },
      (error) => {
        if (error) options.onRequestError?.(error);
      },
    );
    self = new SnmpAgent(agent, options);
    const authorizer = agent.getAuthorizer();
    const access = authorizer.getAccessControlModel();
    for (const user of options.users) {
      authorizer.addUser(netSnmpUser(user));
      access?.setUserAccess(user.name, snmp.AccessLevel.ReadWrite);
    }
    for (const community of options.communities) {
      authorizer.addCommunity(community);
      access?.setCommunityAccess(community, snmp.AccessLevel.ReadWrite);
    }
    agent.setRequest = (socket, message, rinfo) => self.#onSet(socket, message, rinfo);
    const request = agent.request.bind(agent);
    agent.request = (socket, message, rinfo) => {
      if (!answerRead(agent, socket, message, rinfo)) request(socket, message, rinfo);
    };
    const socket = listening.socket;
    // Replace net-snmp's datagram handler with one that can stay silent and never throws.
    socket.removeAllListeners('message');
    socket.on('message', (buffer: Buffer, rinfo: RemoteInfo) => self.#onDatagram(socket, buffer, rinfo));
    try {
      self.#endpoint = await listening.listening();
    } catch (error) {
      await self.close();
      throw error;
    }
    return self;
  }

  get endpoint(): Endpoint {
    if (!this.#endpoint) throw new Error('agent is not listening');
    return this.#endpoint;
  }

  get engineId(): Buffer {
    return this.#agent.engine.engineID;
  }

  /** The Mib as net-snmp holds it, for tests and diagnostics. */
  get mib(): Mib {
    return this.#agent.getMib();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await closeQuietly((done) => this.#agent.close(done));
  }

  #onDatagram(socket: Socket, buffer: Buffer, rinfo: RemoteInfo): void {
    if (this.#closed || !this.#options.isAnswering()) return;
    try {
      this.#options.refresh(this.#view);
      this.#agent.onMsg(socket, buffer, rinfo);
    } catch (error) {
      this.#options.onRequestError?.(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #onSet(socket: Socket, message: IncomingMessage, rinfo: RemoteInfo): void {
    const response = message.pdu.getResponsePduForRequest();
    response.varbinds = message.pdu.varbinds;
    const securityName = message.version === snmp.Version3 ? (message.user?.name ?? '') : (message.community ?? '');
    const allowed = this.#agent.getAuthorizer().getAccessControlModel()?.isAccessAllowed(message.version, securityName, message.pdu.type) ?? true;
    const result: SetResult = allowed ? this.#options.set(message.pdu.varbinds) : { status: 'noAccess', index: 0 };
    if (result.status !== 'noError') {
      response.errorStatus = errorStatusNumber(result.status);
      response.errorIndex = result.index + 1;
    }
    this.#agent.sendResponse(socket, rinfo, message, response);
  }
}
