// The run's journal: the answers of its durable steps and its timeline events. A step is something the
// run asks of the world (the device, the database, the file service) whose answer must not change when
// the workflow is replayed after a crash: the first answer is recorded, and a replay gets it back.
//
// Why not DBOS's own steps: each of those costs eight statements on the database (three looks at the
// workflow's status, one at the step's row, a transaction of four to record it), about 40 % of what a
// run cost the manager and PostgreSQL together. Here a run's recorded answers are read once when its
// workflow (re)starts, and answers and events are written together, one statement for several. The
// workflow stays DBOS's: its recovery, its queue, its durable timers and messages are unchanged, and
// the order of both kinds of calls stays fixed by the workflow's code, which is what a replay relies on.
//
// When answers are written: before the run acts on the world (orders an operation, waits, asks an
// operator, ends; steps marked `acts`) and before any call to DBOS (`writePending`), every
// answer and event so far is written, so that what the run did rests on recorded answers. An answer
// lost with a crash before that was only read, never acted on: the replay reads again and decides
// afresh. Events carry the time they happened, whenever they are written.
//
// Two executions of one run (a manager taken over while still running it): the answer written first
// stands. An execution that finds another answer at a place it already went on from stops (as DBOS
// stops an execution that no longer owns its workflow); the work of a step may happen twice, as after a
// crash, which every step allows (device orders are repeats the device recognises, writes are keyed).
import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Error as DBOSErrors } from '@dbos-inc/dbos-sdk';
import type { NewEvent } from '../store/runs.ts';
import type { EventToWrite, StepRecord, StepRecords, StepToWrite, Written } from '../store/step-records.ts';

export interface StepOptions {
  /** Tried again on an error (1 s, then doubling, five attempts in all): database steps, whose errors pass. */
  retries?: boolean;
  /** The step acts on the world (or waits): what the run learned before it is written first. */
  acts?: boolean;
}

/** A durable step, defined once per process: its name (recorded with its answer) and its work. */
export interface DurableStep<Args extends unknown[], Result> {
  readonly name: string;
  readonly options: StepOptions;
  readonly work: (...args: Args) => Promise<Result>;
}

export function durableStep<Args extends unknown[], Result>(
  name: string,
  work: (...args: Args) => Promise<Result>,
  options: StepOptions = {},
): DurableStep<Args, Result> {
  return { name, options, work };
}

/** A set of step definitions as the workflow calls them: each a function whose answer is durable. */
export type BoundSteps<Definitions> = {
  [K in keyof Definitions]: Definitions[K] extends DurableStep<infer Args, infer Result> ? (...args: Args) => Promise<Result> : Definitions[K];
};

/** A step's answer found at its place was recorded by a step of another name: the workflow's code changed under a recorded run. */
export class StepMismatchError extends Error {
  constructor(runId: string, seq: number, expected: string, found: string) {
    super(`run ${runId}: step ${seq} is ${expected} in this manager's procedure but ${found} in the run's record`);
    this.name = 'StepMismatchError';
  }
}

const current = new AsyncLocalStorage<string>();

/** The key of the event a step writes (the step's place in its run); `second` names another event of the same step. */
export function stepKey(second?: string): string {
  const key = current.getStore();
  if (key === undefined) throw new Error('stepKey() outside a durable step');
  return second ? `${key}:${second}` : key;
}

const attempts = 5;

export class RunJournal {
  private taken = 0;
  private events = 0;
  private steps: StepToWrite[] = [];
  private timeline: EventToWrite[] = [];

  private constructor(
    private readonly records: StepRecords,
    private readonly runId: string,
    private readonly recorded: Map<number, StepRecord>,
    private readonly onWritten: (written: Written, events: EventToWrite[]) => void,
  ) {}

  /**
   * The journal of a run's workflow execution, with the answers recorded by the executions before it.
   * `onWritten` hears of every write, with the events it carried (for live displays).
   */
  static async open(records: StepRecords, runId: string, onWritten: (written: Written, events: EventToWrite[]) => void = () => {}): Promise<RunJournal> {
    return new RunJournal(records, runId, await records.of(runId), onWritten);
  }

  /** Runs the step, or gives back its recorded answer. Places are taken before any await, as DBOS takes its function IDs. */
  async step<Result>(name: string, work: () => Promise<Result>, options: StepOptions = {}): Promise<Result> {
    const seq = ++this.taken;
    const found = this.recorded.get(seq);
    if (found) return this.answer(seq, name, found) as Result;
    if (options.acts) await this.write();
    const output = await current.run(`step:${seq}`, () => (options.retries ? retried(work) : work()));
    // Go on from the answer as it will be recorded (JSON), as a replay will.
    const answer: unknown = output === undefined ? null : JSON.parse(JSON.stringify(output));
    this.steps.push({ seq, name, output: answer });
    return answer as Result;
  }

  /** Adds an event to the run's timeline: written with the next answers, once however often the run is replayed. */
  event(event: NewEvent): void {
    // The n-th event the run makes is keyed n: a replay makes the same events in the same order.
    this.timeline.push({ key: `event:${++this.events}`, at: new Date(), event });
  }

  /** Writes what is pending: before the workflow calls DBOS (a timer, a message, the clock: each is recorded by DBOS), and when it ends. */
  async writePending(): Promise<void> {
    await this.write();
  }

  /** The definitions, bound to this journal: what the workflow calls. Members that are not steps pass as they are. */
  bind<Definitions extends object>(definitions: Definitions): BoundSteps<Definitions> {
    return Object.fromEntries(
      Object.entries(definitions).map(([key, value]) => [
        key,
        isStep(value) ? (...args: unknown[]) => this.step(value.name, () => value.work(...args), value.options) : value,
      ]),
    ) as BoundSteps<Definitions>;
  }

  private async write(): Promise<void> {
    if (this.steps.length === 0 && this.timeline.length === 0) return;
    const steps = this.steps;
    const events = this.timeline;
    this.steps = [];
    this.timeline = [];
    let written: Written;
    try {
      written = await this.records.write(this.runId, steps, events);
    } catch (error) {
      // Not written (the database stayed away): kept for the next write, which the run's end makes too.
      this.steps = [...steps, ...this.steps];
      this.timeline = [...events, ...this.timeline];
      throw error;
    }
    for (const standing of written.standing) {
      const ours = steps.find((step) => step.seq === standing.seq);
      if (standing.name !== ours?.name || JSON.stringify(standing.output) !== JSON.stringify(ours.output)) {
        // Another execution of this run answered this place otherwise, and this one went on from its own answer.
        throw new DBOSErrors.DBOSWorkflowConflictError(this.runId);
      }
    }
    this.onWritten(written, events);
  }

  private answer(seq: number, name: string, record: StepRecord): unknown {
    if (record.name !== name) throw new StepMismatchError(this.runId, seq, name, record.name);
    return record.output;
  }
}

function isStep(value: unknown): value is DurableStep<unknown[], unknown> {
  return typeof value === 'object' && value !== null && 'work' in value && 'name' in value && 'options' in value;
}

async function retried<Result>(work: () => Promise<Result>): Promise<Result> {
  for (let attempt = 1, delaySeconds = 1; ; attempt++, delaySeconds *= 2) {
    try {
      return await work();
    } catch (error) {
      if (attempt === attempts) throw error;
      await sleep(delaySeconds * 1000);
    }
  }
}
