// Several parts of a device change the same file (state.json: an operation and a SET of the notify
// target). Writes to one file are queued so that a slower, older write can never land after a newer one,
// and each write takes its content at the moment it runs, so the last write always holds the latest state.
import { writeFileAtomic } from '../common/atomic-file.ts';

export class SerialWriter {
  private queue: Promise<void> = Promise.resolve();
  /** A write queued and not begun: it will take the content of its time, so later callers share it. */
  private waiting: Promise<void> | undefined;

  constructor(
    private readonly path: string,
    private readonly render: () => Buffer | string,
    /** Whether each write is flushed to the disk (writeFileAtomic's flush). */
    private readonly flush = true,
  ) {}

  /**
   * Resolves once the content current when the write runs is durably on disk. Calls that come while
   * a write waits its turn join that write (it renders when it begins, so it holds their changes too):
   * a burst of changes costs one write after the one under way, not one each.
   */
  write(): Promise<void> {
    if (this.waiting) return this.waiting;
    const next = this.queue.then(() => {
      this.waiting = undefined;
      return writeFileAtomic(this.path, this.render(), { flush: this.flush });
    });
    this.waiting = next;
    // A failed write must not wedge the queue; its caller still sees the failure.
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Resolves when every queued write has finished (successfully or not). */
  settled(): Promise<void> {
    return this.queue;
  }
}
