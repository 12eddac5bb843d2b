// Sends a device's notifications: progress and completion of operations, boot completed. Each goes
// to the operation's notify target or the device's, from the device's own address, as an INFORM
// (retransmitted until acknowledged) and, when no acknowledgement comes, once more as a TRAP so that a
// receiver that cannot answer informs still hears it. Notifications go out one at a time, in order.
// Progress is paced, as real equipment paces it: at most one progress notification per operation per
// interval, the latest one waiting for the interval's end and dropped when the operation completes first
// (its completion says more). The operation's row keeps every step for whoever reads it.
import { EventEmitter } from 'node:events';
import { SnmpSession } from '../../protocol/snmp/session.ts';
import type { SnmpSecurity } from '../../protocol/snmp/security.ts';
import type { DeviceStatus } from '../../protocol/safeflash-mib/device-scalars.ts';
import type { Operation } from '../../protocol/safeflash-mib/operation-row.ts';
import type { Endpoint } from '../../protocol/endpoint.ts';
import type { ManagedDevice } from './managed-device.ts';
import type { DeviceFace, OutgoingNotification } from './personality.ts';

export interface NotifierOptions {
  device: Pick<ManagedDevice, 'status' | 'on' | 'off'>;
  /** What the device's events become, in its family's notifications. */
  face: Pick<DeviceFace, 'progressNotification' | 'completionNotification' | 'bootNotification'>;
  /** The device's address: notifications leave from it. */
  sourceAddress: string;
  engineId: Buffer;
  security: SnmpSecurity;
  /** Share (0..1) of notifications dropped on purpose (fault injection), read at each notification. */
  dropShare?: () => number;
  informTimeoutMs?: number;
  informRetries?: number;
  /** At most one progress notification per operation per this many ms (default 1000; 0 sends every step). */
  progressIntervalMs?: number;
  random?: () => number;
}

export type Delivery = 'inform' | 'trap' | 'dropped' | 'failed' | 'noTarget';

export interface NotificationOutcome {
  name: string;
  target: Endpoint | undefined;
  delivery: Delivery;
  error?: string;
}

/** Progress notifications beyond this many waiting are dropped (completion and boot never are). */
const maxQueuedProgress = 50;
/**
 * A session to a target is kept this long after its last notification: the notifications of a whole
 * run (its operations follow one another as the manager orders them, seconds apart) then share one
 * SNMPv3 engine discovery and one socket instead of paying one each, and a fleet of idle devices
 * holds no sockets.
 */
const sessionIdleMs = 60_000;
const defaultProgressIntervalMs = 1000;

/** An operation's progress notifications: when the last one went, and the latest one waiting for its turn. */
interface ProgressPace {
  sentAt: number;
  waiting: Operation | undefined;
  timer: NodeJS.Timeout | undefined;
}

/** One target's session, and the timer that closes it when it has been idle. */
interface KeptSession {
  session: SnmpSession;
  idle: NodeJS.Timeout | undefined;
}

export class Notifier extends EventEmitter<{ sent: [outcome: NotificationOutcome] }> {
  readonly #options: NotifierOptions;
  /** Sessions by target ("address:port"). */
  readonly #sessions = new Map<string, KeptSession>();
  #queue: Promise<void> = Promise.resolve();
  #queuedProgress = 0;
  /** Pacing of progress notifications, by operation index, while the operation runs. */
  readonly #paces = new Map<number, ProgressPace>();
  #stopped = false;

  readonly #onProgress = (op: Operation) => this.#paceProgress(op);
  readonly #onCompleted = (op: Operation) => {
    this.#endPace(op.index);
    this.#enqueueOperation('completion', op);
  };
  readonly #onBoot = (status: DeviceStatus) => {
    // A boot ends every operation that was running.
    for (const index of [...this.#paces.keys()]) this.#endPace(index);
    const notification = this.#options.face.bootNotification(status);
    if (notification) this.#enqueue(notification, status.notifyTarget, status);
  };

  constructor(options: NotifierOptions) {
    super();
    this.#options = options;
    options.device.on('operationProgress', this.#onProgress);
    options.device.on('operationCompleted', this.#onCompleted);
    options.device.on('bootCompleted', this.#onBoot);
  }

  /** Stops listening; what is queued is abandoned and sessions in flight are closed. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const { device } = this.#options;
    device.off('operationProgress', this.#onProgress);
    device.off('operationCompleted', this.#onCompleted);
    device.off('bootCompleted', this.#onBoot);
    for (const index of [...this.#paces.keys()]) this.#endPace(index);
    for (const key of [...this.#sessions.keys()]) this.#drop(key);
    await this.#queue;
  }

  /** Resolves when everything queued so far has been sent (or given up). */
  idle(): Promise<void> {
    return this.#queue;
  }

  #paceProgress(op: Operation): void {
    const intervalMs = this.#options.progressIntervalMs ?? defaultProgressIntervalMs;
    const now = Date.now();
    const pace = this.#paces.get(op.index);
    if (!pace || now - pace.sentAt >= intervalMs) {
      if (pace) clearTimeout(pace.timer);
      this.#paces.set(op.index, { sentAt: now, waiting: undefined, timer: undefined });
      this.#enqueueOperation('progress', op);
      return;
    }
    pace.waiting = op;
    pace.timer ??= setTimeout(
      () => {
        pace.timer = undefined;
        const waiting = pace.waiting;
        if (!waiting) return;
        pace.waiting = undefined;
        pace.sentAt = Date.now();
        this.#enqueueOperation('progress', waiting);
      },
      pace.sentAt + intervalMs - now,
    );
  }

  #endPace(index: number): void {
    clearTimeout(this.#paces.get(index)?.timer);
    this.#paces.delete(index);
  }

  #enqueueOperation(event: 'progress' | 'completion', op: Operation): void {
    const progress = event === 'progress';
    let status: DeviceStatus;
    try {
      status = this.#options.device.status();
    } catch {
      // The device lost power as the operation ended: nobody is there to send anything.
      this.emit('sent', { name: event, target: op.request.notifyTarget, delivery: 'dropped', error: 'device is off' });
      return;
    }
    const face = this.#options.face;
    const notification = progress ? face.progressNotification(op, status) : face.completionNotification(op, status);
    if (!notification) return;
    const { name } = notification;
    if (progress && this.#queuedProgress >= maxQueuedProgress) {
      this.emit('sent', { name, target: undefined, delivery: 'dropped', error: 'too many progress notifications waiting' });
      return;
    }
    this.#enqueue(notification, op.request.notifyTarget ?? status.notifyTarget, status, progress);
  }

  #enqueue(notification: OutgoingNotification, target: Endpoint | undefined, status: DeviceStatus, progress = false): void {
    if (this.#stopped) return;
    if (progress) this.#queuedProgress += 1;
    const upTime = Math.max(0, Math.floor((Date.now() - status.bootTime.getTime()) / 10));
    this.#queue = this.#queue.then(async () => {
      if (progress) this.#queuedProgress -= 1;
      if (this.#stopped) return;
      this.emit('sent', await this.#deliver(notification, target, upTime));
    });
  }

  async #deliver(notification: OutgoingNotification, target: Endpoint | undefined, upTime: number): Promise<NotificationOutcome> {
    const { name } = notification;
    if (!target) return { name, target, delivery: 'noTarget' };
    const random = this.#options.random ?? Math.random;
    if (random() < (this.#options.dropShare?.() ?? 0)) return { name, target, delivery: 'dropped' };
    const key = `${target.address}:${target.port}`;
    const session = this.#session(key, target);
    try {
      await session.inform(notification.oid, notification.varbinds, upTime);
      return { name, target, delivery: 'inform' };
    } catch (informError) {
      // The receiver may have restarted with another engine: the next notification discovers it again.
      this.#forget(key);
      if (this.#stopped) return { name, target, delivery: 'failed', error: 'stopped' };
      try {
        await session.trap(notification.oid, notification.varbinds, upTime);
        return { name, target, delivery: 'trap', error: `inform: ${(informError as Error).message}` };
      } catch (trapError) {
        return { name, target, delivery: 'failed', error: (trapError as Error).message };
      } finally {
        session.close();
      }
    } finally {
      this.#idleLater(key);
    }
  }

  #session(key: string, target: Endpoint): SnmpSession {
    const kept = this.#sessions.get(key);
    if (kept) {
      clearTimeout(kept.idle);
      kept.idle = undefined;
      return kept.session;
    }
    const session = new SnmpSession({
      peer: target,
      security: this.#options.security,
      sourceAddress: this.#options.sourceAddress,
      engineId: this.#options.engineId,
      timeoutMs: this.#options.informTimeoutMs ?? 1000,
      retries: this.#options.informRetries ?? 2,
    });
    this.#sessions.set(key, { session, idle: undefined });
    return session;
  }

  #idleLater(key: string): void {
    const kept = this.#sessions.get(key);
    if (!kept) return;
    kept.idle = setTimeout(() => this.#drop(key), sessionIdleMs);
    kept.idle.unref();
  }

  /** Stops keeping the target's session; returns it, for whoever still uses it to close. */
  #forget(key: string): SnmpSession | undefined {
    const kept = this.#sessions.get(key);
    if (!kept) return undefined;
    this.#sessions.delete(key);
    clearTimeout(kept.idle);
    return kept.session;
  }

  #drop(key: string): void {
    this.#forget(key)?.close();
  }
}
