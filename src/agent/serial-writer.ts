// Several parts of a device change the same file (state.json: an operation and a SET of the notify
// target). Writes to one file are queued so that a slower, older write can never land after a newer one,
// and each write takes its content at the moment it runs, so the last write always holds the latest state.
import { writeFileAtomic } from '../common/atomic-file.ts';

export class SerialWriter {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly render: () => Buffer | string,
  ) {}

  /** Resolves once the content current when the write runs is durably on disk. */
  write(): Promise<void> {
    const next = this.queue.then(() => writeFileAtomic(this.path, this.render()));
    // A failed write must not wedge the queue; its caller still sees the failure.
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Resolves when every queued write has finished (successfully or not). */
  settled(): Promise<void> {
    return this.queue;
  }
}
