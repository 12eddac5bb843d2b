// Watching an operation until it ends: notifications are the fast path, polling the row the fallback
// when they are lost, and a deadline makes silence a failure, never a success.
import { EventEmitter, on } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { SnmpError } from '../protocol/snmp/errors.ts';
import type { DeviceDriver, OperationReading } from './device-driver.ts';
import type { DeviceNotification } from './notifications.ts';

export type NotificationFeed = EventEmitter<{ notification: [DeviceNotification] }>;

export interface WatchOptions {
  driver: DeviceDriver;
  /** The device's address as its notifications come from it. */
  device: string;
  index: number;
  notifications: NotificationFeed;
  timeoutMs: number;
  pollMs: number;
  onProgress?: (progress: number) => void;
}

export type WatchResult =
  | { outcome: 'finished'; reading: OperationReading; via: 'notification' | 'polling' }
  /** Nothing final before the deadline: the device went silent or is stuck. */
  | { outcome: 'silent'; last: OperationReading | undefined }
  /** The row disappeared: the device lost it (power loss, reset). */
  | { outcome: 'lost'; last: OperationReading };

export async function awaitOperation(options: WatchOptions): Promise<WatchResult> {
  const { driver, device, index, notifications } = options;
  const deadline = Date.now() + options.timeoutMs;
  const stop = new AbortController();
  let last: OperationReading | undefined;

  const notified = (async (): Promise<WatchResult | undefined> => {
    try {
      for await (const [n] of on(notifications, 'notification', { signal: stop.signal }) as AsyncIterable<[DeviceNotification]>) {
        if (n.kind === 'bootCompleted' || n.device !== device || n.index !== index) continue;
        if (n.kind === 'operationProgress') {
          options.onProgress?.(n.progress);
          continue;
        }
        const reading: OperationReading = { index, type: n.type, state: n.state, progress: 100, failCause: n.failCause, failMessage: n.failMessage };
        return { outcome: 'finished', reading, via: 'notification' };
      }
    } catch (error) {
      if (!stop.signal.aborted) throw error;
    }
    return undefined;
  })();

  const polled = (async (): Promise<WatchResult> => {
    while (Date.now() < deadline && !stop.signal.aborted) {
      await sleep(Math.min(options.pollMs, Math.max(0, deadline - Date.now())), undefined, { signal: stop.signal }).catch(() => {});
      if (stop.signal.aborted) break;
      let reading: OperationReading | undefined;
      try {
        reading = await driver.readOperation(index);
      } catch (error) {
        // A rebooting device does not answer; that is expected until the deadline says otherwise.
        if (error instanceof SnmpError && error.failure === 'timeout') continue;
        throw error;
      }
      if (!reading) {
        if (last) return { outcome: 'lost', last };
        continue;
      }
      last = reading;
      options.onProgress?.(reading.progress);
      if (reading.state === 'successful' || reading.state === 'failed') return { outcome: 'finished', reading, via: 'polling' };
    }
    return { outcome: 'silent', last };
  })();

  try {
    const first = await Promise.race([notified.then((r) => r ?? polled), polled]);
    return first;
  } finally {
    stop.abort();
    await Promise.allSettled([notified, polled]);
  }
}
