// The runs a campaign has made and is starting. A start enqueues the run's workflow through DBOS's
// connections, where every run under way queues its own statements: on a busy manager a turn's starts
// took 300-600 ms, and a turn that waited for them left the slots freed meanwhile empty until its next
// look. So a turn starts its runs and goes on; they are awaited only when the campaign ends.
//
// Nothing is lost by not waiting: the run rows were made (and recorded) before, a replay after a crash
// starts them again, and each start under the run's own ID finds the workflow already there. For the
// same reason a start that fails (a lost connection) is tried again; one that fails every time stops
// the campaign at its next turn, as it stopped the turn that awaited it.
import { retried } from '../procedure/run-journal.ts';

export class RunStarts {
  private readonly inFlight = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  /** `tryAgain`: how a start that fails is tried again (a test's is quicker). */
  constructor(private readonly tryAgain: (work: () => Promise<void>) => Promise<void> = retried) {}

  /** Starts each run, without waiting for the starts; tries again a start that fails. */
  start(runIds: string[], startRun: (runId: string) => Promise<void>): void {
    for (const runId of runIds) {
      const started = this.tryAgain(() => startRun(runId)).then(
        () => undefined,
        (error: unknown) => {
          this.failure ??= { error };
        },
      );
      this.inFlight.add(started);
      void started.finally(() => this.inFlight.delete(started));
    }
  }

  /** Throws the error of the first start that failed. */
  check(): void {
    if (this.failure) throw this.failure.error;
  }

  /** Resolves when every start has ended; throws the first failure. */
  async settled(): Promise<void> {
    await Promise.all(this.inFlight);
    this.check();
  }
}
