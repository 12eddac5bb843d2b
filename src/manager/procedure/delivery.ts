// Device notifications to the runs that wait for them: an operation's end and a boot are recorded on
// the operation's route, where the run's wait reads them (whichever manager runs it), and wake that
// wait; progress is only kept in memory, for display.
import type { DeviceNotification } from '../notifications.ts';
import type { OperationRoutes, Route } from '../store/operation-routes.ts';
import type { OperationSignals } from './operation-signals.ts';

/** Latest progress per run; forgotten when the run ends. Bounded: a run that never ends cannot fill it. */
export class ProgressBoard {
  readonly #progress = new Map<string, number>();
  constructor(
    private readonly onSet: (runId: string, progress: number) => void = () => {},
    private readonly limit = 100_000,
  ) {}

  set(runId: string, progress: number): void {
    if (!this.#progress.has(runId) && this.#progress.size >= this.limit) this.#progress.clear();
    this.#progress.set(runId, progress);
    this.onSet(runId, progress);
  }

  get(runId: string): number | undefined {
    return this.#progress.get(runId);
  }

  forget(runId: string): void {
    this.#progress.delete(runId);
  }
}

/**
 * Remembers routes looked up, and the lookups under way: progress notifications come ten to an
 * operation, several of them before the first lookup is back. A route never changes once recorded;
 * a lookup that found none is forgotten (the route may be recorded next).
 */
class RouteCache {
  readonly #routes = new Map<string, Promise<Route | undefined>>();
  constructor(private readonly limit = 10_000) {}

  route(address: string, index: number, find: () => Promise<Route | undefined>): Promise<Route | undefined> {
    const key = `${address}/${index}`;
    const known = this.#routes.get(key);
    if (known) return known;
    if (this.#routes.size >= this.limit) this.#routes.clear();
    const lookup = find().then(
      (route) => {
        if (!route) this.#routes.delete(key);
        return route;
      },
      (error: unknown) => {
        this.#routes.delete(key);
        throw error;
      },
    );
    this.#routes.set(key, lookup);
    return lookup;
  }
}

export class NotificationRouter {
  readonly #cache = new RouteCache();

  constructor(
    private readonly routes: OperationRoutes,
    private readonly progress: ProgressBoard,
    private readonly signals: OperationSignals,
    private readonly onError: (error: Error) => void = () => {},
  ) {}

  /** Never throws: a notification that finds no run (or arrives after it ended) is dropped. */
  async deliver(notification: DeviceNotification): Promise<void> {
    try {
      if (notification.kind === 'bootCompleted') {
        const route = await this.routes.lastBooting(notification.device);
        if (!route) return;
        this.signals.wake(route.runId, route.index, await this.routes.recordBoot(route));
        return;
      }
      // A family whose notifications name no operation means the device's latest one.
      const route =
        notification.index === undefined ? await this.routes.latest(notification.device) : await this.route(notification.device, notification.index);
      if (!route) return;
      if (notification.kind === 'operationProgress') {
        this.progress.set(route.runId, notification.progress);
        return;
      }
      this.progress.set(route.runId, 100);
      // The same completion heard twice (an inform retried) is recorded once.
      const signal = await this.routes.recordEnd(route, {
        state: notification.state,
        failCause: notification.failCause,
        failMessage: notification.failMessage,
      });
      this.signals.wake(route.runId, route.index, signal);
    } catch (error) {
      try {
        this.onError(error as Error);
      } catch {
        // Reporting must not turn a dropped notification into a crash of the receiver.
      }
    }
  }

  private route(address: string, index: number): Promise<Route | undefined> {
    return this.#cache.route(address, index, () => this.routes.find(address, index));
  }
}
