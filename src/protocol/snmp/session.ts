// The command and notification generator side: one session to one peer, promises instead of callbacks.
// Every packet leaves from sourceAddress when it is given, so that a virtual device's notifications come
// from the device's own address.
import snmp from 'net-snmp';
import type { Session, SessionOptions as NetSnmpSessionOptions } from 'net-snmp';
import type { Endpoint } from '../endpoint.ts';
import { netSnmpUser } from './net-snmp-user.ts';
import type { SnmpSecurity } from './security.ts';
import { SnmpError, toSnmpError } from './errors.ts';
import { isException, isUnder, type Varbind } from './varbind.ts';
import { udpTransport } from './transport.ts';

export interface SnmpSessionOptions {
  /** The agent (for requests) or the notification receiver (for informs and traps). */
  peer: Endpoint;
  security: SnmpSecurity;
  /** Local address to send from; the OS picks one when absent. Must be of the peer's family (IPv4 or IPv6). */
  sourceAddress?: string;
  /** Our own engine ID: the authoritative one in v3 traps we send. */
  engineId?: Buffer;
  timeoutMs?: number;
  /** Retransmissions after the first attempt. */
  retries?: number;
}

/** A walk stops here even if the agent keeps answering: a runaway agent cannot make us loop forever. */
const walkLimit = 100_000;

export class SnmpSession {
  readonly #session: Session;
  #lastError: Error | undefined;
  #closed = false;

  constructor(options: SnmpSessionOptions) {
    const transport = udpTransport(options.peer.address);
    if (options.sourceAddress && udpTransport(options.sourceAddress) !== transport) {
      throw new SnmpError('socket', `cannot send to ${options.peer.address} from ${options.sourceAddress}: one is IPv4, the other IPv6`);
    }
    const common: NetSnmpSessionOptions = {
      transport,
      port: options.peer.port,
      trapPort: options.peer.port,
      timeout: options.timeoutMs ?? 2000,
      retries: options.retries ?? 1,
      ...(options.sourceAddress ? { sourceAddress: options.sourceAddress } : {}),
      ...(options.engineId ? { engineID: options.engineId } : {}),
    };
    this.#session =
      options.security.version === 'v3'
        ? snmp.createV3Session(options.peer.address, netSnmpUser(options.security.user), common)
        : snmp.createSession(options.peer.address, options.security.community, { ...common, version: snmp.Version2c });
    // Without a listener, a malformed datagram arriving at our socket would throw out of net-snmp.
    this.#session.on('error', (error: Error) => {
      this.#lastError = error;
    });
  }

  get(oids: string[]): Promise<Varbind[]> {
    return this.#call((cb) => this.#session.get(oids, cb));
  }

  getNext(oids: string[]): Promise<Varbind[]> {
    return this.#call((cb) => this.#session.getNext(oids, cb));
  }

  set(varbinds: Varbind[]): Promise<Varbind[]> {
    return this.#call((cb) => this.#session.set(varbinds, cb));
  }

  /** Every instance below `oid`, in order. */
  walk(oid: string, maxRepetitions = 20): Promise<Varbind[]> {
    return new Promise((resolve, reject) => {
      const found: Varbind[] = [];
      this.#session.walk(
        oid,
        maxRepetitions,
        (varbinds) => {
          for (const v of varbinds) {
            // net-snmp's walk of a v2c/v3 agent ends on the first OID outside the subtree.
            if (!isUnder(v.oid, oid)) return true;
            found.push(v);
            if (found.length >= walkLimit) return true;
          }
          return false;
        },
        (error) => (error ? reject(toSnmpError(error)) : resolve(found)),
      );
    });
  }

  /**
   * The instances of several columns, each in order: the columns walked side by side, each GETBULK
   * asking for the next rows of every column not yet past its end (as Net-SNMP's snmptable reads a
   * table), instead of a walk, and its requests, per column. An agent may answer with fewer rows than
   * asked, down to none for the last columns (RFC 3416 4.2.3): those are asked again.
   */
  async walkColumns(columns: readonly string[], maxRepetitions = 20): Promise<Varbind[][]> {
    const found = columns.map((): Varbind[] => []);
    let open = columns.map((column, n) => ({ n, column, from: column }));
    let total = 0;
    while (open.length > 0 && total < walkLimit) {
      // With repeaters only, net-snmp answers each requested OID with the list of its repetitions.
      const answer = await this.#call<Array<Varbind | Varbind[]>>((cb) =>
        this.#session.getBulk(
          open.map((walk) => walk.from),
          0,
          maxRepetitions,
          cb,
        ),
      );
      const going: typeof open = [];
      let read = 0;
      for (const [k, walk] of open.entries()) {
        const repetitions = [answer[k] ?? []].flat();
        read += repetitions.length;
        const end = repetitions.findIndex((v) => isException(v) || !isUnder(v.oid, walk.column));
        const rows = end === -1 ? repetitions : repetitions.slice(0, end);
        found[walk.n]!.push(...rows);
        total += rows.length;
        walk.from = rows.at(-1)?.oid ?? walk.from;
        if (end === -1) going.push(walk);
      }
      if (read === 0) throw new SnmpError('invalidResponse', `a GETBULK for ${open.length} columns was answered with no values`);
      open = going;
    }
    return found;
  }

  /** An acknowledged notification; rejects when no acknowledgement arrives after the retries. */
  async inform(notification: string, varbinds: Varbind[], upTimeCentiseconds?: number): Promise<void> {
    await this.#call((cb) => this.#session.inform(notification, varbinds, upTime(upTimeCentiseconds), cb));
  }

  /** An unacknowledged notification (SNMPv2-Trap-PDU); resolves once the datagram is sent. */
  trap(notification: string, varbinds: Varbind[], upTimeCentiseconds?: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#session.trap(notification, varbinds, upTime(upTimeCentiseconds), (error) => (error ? reject(toSnmpError(error)) : resolve()));
    });
  }

  /** Closed, or its socket failed: no use keeping it. */
  get broken(): boolean {
    return this.#closed || this.#lastError !== undefined;
  }

  close(): void {
    this.#closed = true;
    try {
      this.#session.close();
    } catch {
      // Already closed: closing twice is harmless.
    }
  }

  #call<Answer = Varbind[]>(start: (callback: (error: Error | null, varbinds?: Answer) => void) => void): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      try {
        start((error, varbinds) => {
          if (error) reject(toSnmpError(error));
          else resolve(varbinds ?? ([] as Answer));
        });
      } catch (error) {
        reject(toSnmpError(error instanceof Error ? error : new Error(String(error))));
      }
    }).catch((error: unknown) => {
      if (error instanceof SnmpError && error.failure === 'socket' && this.#lastError) {
        throw new SnmpError('socket', `${error.message} (${this.#lastError.message})`);
      }
      throw error;
    });
  }
}

function upTime(centiseconds: number | undefined) {
  return centiseconds === undefined ? {} : { upTime: centiseconds };
}
