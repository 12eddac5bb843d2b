// Wake-ups for the runs that wait on an operation: when a notification of it is recorded (its end, a
// boot), the wait reads the route again instead of at the end of its round. This manager's own
// notifications wake its waits at once; another manager's arrive through PostgreSQL's NOTIFY
// (`heard`). A wake-up is only a hint: the wait reads what was recorded, and a lost one (a connection
// cut) costs at most `rereadMs`, after which every wait reads again anyway. This manager's own wake-ups
// carry what the route holds after the write that woke them, so that the wait need not read it again.
import type { OperationSignal, Route } from '../store/operation-routes.ts';

/** The longest a wait goes without reading its route, wake-up or not. */
export const rereadMs = 30_000;

export class OperationSignals {
  readonly #waiting = new Map<string, Set<(signal?: OperationSignal) => void>>();

  /** Wakes the waits on the run's operation `index`; `signal`: what its route holds now, as a committed write returned it. */
  wake(runId: string, index: number, signal?: OperationSignal): void {
    for (const wake of this.#waiting.get(`${runId}/${index}`) ?? []) wake(signal);
  }

  /** A payload of the operations' channel: `run/index`. */
  heard(payload: string): void {
    const cut = payload.lastIndexOf('/');
    const index = Number(payload.slice(cut + 1));
    if (cut > 0 && Number.isInteger(index)) this.wake(payload.slice(0, cut), index);
  }

  /**
   * A wake-up to wait for, on the route's operation: settles when woken or at `untilMs` (or `rereadMs`
   * from now, if sooner). Taken before the route is read, so that a signal recorded in between wakes it.
   * Settles with what the route holds when the wake-up carried it, else with nothing (read it).
   */
  wakeUp(route: Pick<Route, 'runId' | 'index'>, untilMs: number): { woken: Promise<OperationSignal | undefined>; cancel(): void } {
    const key = `${route.runId}/${route.index}`;
    let wake!: (signal?: OperationSignal) => void;
    const woken = new Promise<OperationSignal | undefined>((resolve) => {
      wake = resolve;
    });
    const waits = this.#waiting.get(key) ?? new Set();
    this.#waiting.set(key, waits);
    // Unreferenced: a manager that stops does not stay up for its runs' waits (they resume on its next start).
    const timer = setTimeout(() => wake(), Math.max(0, Math.min(untilMs - Date.now(), rereadMs))).unref();
    const done = () => {
      clearTimeout(timer);
      waits.delete(wake);
      if (waits.size === 0 && this.#waiting.get(key) === waits) this.#waiting.delete(key);
    };
    waits.add(wake);
    void woken.then(done);
    return { woken, cancel: () => wake() };
  }
}
