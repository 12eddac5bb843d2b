// Tells LiveEvents about runs as they move: after each recorded event, where the run stands (the row,
// not the event, knows the run's device and state: given by the write that moved it, else read back)
// is published as runChanged; progress reports
// are published with the last row seen. Reads for one run are chained, so a run's changes go out in the
// order they were recorded. Nothing is read when nobody listens.
import type { LiveEvents, RunChanged } from '../live-events.ts';
import { finalRunStates, type RunState } from '../store/records.ts';
import type { RunPosition, RunStore } from '../store/runs.ts';

export type LastEvent = NonNullable<RunChanged['lastEvent']>;

const finalStates = new Set<RunState>(finalRunStates);

export class RunFeed {
  /** The tail of each run's chain of reads; dropped once it settles with nothing queued behind. */
  readonly #tails = new Map<string, Promise<void>>();
  /** The last row published per active run, to place progress reports. Bounded like ProgressBoard. */
  readonly #last = new Map<string, RunChanged>();

  constructor(
    private readonly runs: RunStore,
    private readonly live: LiveEvents | undefined,
    private readonly onError: (error: Error) => void = () => {},
    private readonly limit = 100_000,
  ) {}

  /**
   * The run's record changed (an event, a question, its end); `known` is where it stands when the
   * writer already knows (the row is read otherwise). Never throws, never waits.
   */
  changed(runId: string, lastEvent?: LastEvent, known?: RunPosition): void {
    if (!this.live?.listened('runChanged') && !this.live?.listened('deviceChanged')) return;
    this.#chain(runId, async () => {
      const run = known ?? (await this.runs.get(runId));
      if (!run || !this.live) return;
      const change: RunChanged = { runId, deviceId: run.deviceId, state: run.state, phase: run.phase, ...(lastEvent ? { lastEvent } : {}) };
      if (finalStates.has(run.state)) this.#last.delete(runId);
      else this.#remember(change);
      this.live.emit('runChanged', change);
      // A run's end is when the device's recorded version and sighting change.
      if (finalStates.has(run.state)) this.live.emit('deviceChanged', { deviceId: run.deviceId });
    });
  }

  /** The device reported progress on the run's current operation. */
  progress(runId: string, progress: number): void {
    if (!this.live?.listened('runChanged')) return;
    const last = this.#last.get(runId);
    if (last) {
      this.live.emit('runChanged', { runId, deviceId: last.deviceId, state: last.state, phase: last.phase, progress });
      return;
    }
    this.#chain(runId, async () => {
      const run = await this.runs.get(runId);
      if (!run || !this.live || finalStates.has(run.state)) return;
      const change: RunChanged = { runId, deviceId: run.deviceId, state: run.state, phase: run.phase };
      this.#remember(change);
      this.live.emit('runChanged', { ...change, progress });
    });
  }

  #remember(change: RunChanged): void {
    if (!this.#last.has(change.runId) && this.#last.size >= this.limit) this.#last.clear();
    const { lastEvent: _dropped, progress: _progress, ...row } = change;
    this.#last.set(change.runId, row);
  }

  #chain(runId: string, read: () => Promise<void>): void {
    const next = (this.#tails.get(runId) ?? Promise.resolve()).then(read).catch((error: Error) => {
      try {
        this.onError(error);
      } catch {
        // Reporting a failed read must not fail the run that recorded the event.
      }
    });
    this.#tails.set(runId, next);
    void next.then(() => {
      if (this.#tails.get(runId) === next) this.#tails.delete(runId);
    });
  }
}
