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
// operator, ends; steps marked `acts` or `carries`) and before any call to DBOS (`writePending`), every
// answer and event so far is written, so that what the run did rests on recorded answers. An answer
// lost with a crash before that was only read, never acted on: the replay reads again and decides
// afresh. Events carry the time they happened, whenever they are written. A `carries` step writes them
// in the transaction of its own first statement (withJournal: the order's route, the run's end; a
// first statement that only reads, the wait's first look, follows them), and writes of other tables
// that only matter once the run acts (an offer's row, the inventory's reading) ride with them
// (ridingWithJournal): one commit where there were several.
//
// Two executions of one run (a manager taken over while still running it): the answer written first
// stands. An execution that finds another answer at a place it already went on from stops (as DBOS
// stops an execution that no longer owns its workflow); the work of a step may happen twice, as after a
// crash, which every step allows (device orders are repeats the device recognises, writes are keyed).
import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Error as DBOSErrors } from '@dbos-inc/dbos-sdk';
import type { Queryable } from '../store/backups.ts';
import type { NewEvent } from '../store/runs.ts';
import type { EventToWrite, RidingWrite, StepRecord, StepRecords, StepToWrite, Written } from '../store/step-records.ts';

export interface StepOptions {
  /** Tried again on an error (1 s, then doubling, five attempts in all): database steps, whose errors pass. */
  retries?: boolean;
  /** The step acts on the world (or waits): what the run learned before it is written first. */
  acts?: boolean;
  /**
   * The step acts, and its work writes what the run learned before it itself, in the transaction of
   * its first statement (withJournal), before it acts: one commit where `acts` costs two.
   */
  carries?: boolean;
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

/** The step under way: its place, its name and its run's journal. */
interface StepScope {
  seq: number;
  name: string;
  journal: RunJournal;
}

const current = new AsyncLocalStorage<StepScope>();

/** The key of the event a step writes (the step's place in its run); `second` names another event of the same step. */
export function stepKey(second?: string): string {
  const scope = current.getStore();
  if (scope === undefined) throw new Error('stepKey() outside a durable step');
  return second ? `step:${scope.seq}:${second}` : `step:${scope.seq}`;
}

/** How withJournal writes with its work. */
export interface JournalWork {
  /** The step's answer, when it is known before the step acts (an end), written in the same transaction. */
  ownAnswer?: unknown;
  /**
   * `work` only reads: with nothing riding, the journal is written by its own statement and `work`
   * runs after it, outside a transaction (which would cost a BEGIN and a COMMIT for one write).
   */
  reads?: boolean;
}

/**
 * For the work of a `carries` step: runs `work` in one transaction with everything the run's journal
 * has to write (answers, events, riding writes), so that the step's first statement and the journal
 * cost one commit; `work` gets the transaction's connection. With nothing to write, or outside a run's
 * step, `work` runs on its own (db undefined).
 */
export function withJournal<T>(work: (db?: Queryable) => Promise<T>, options: JournalWork = {}): Promise<T> {
  const scope = current.getStore();
  if (scope === undefined) return work();
  return scope.journal.writeWith(scope, work, options);
}

/**
 * Hands a write of another table to the journal of the run whose step is under way: it is made with
 * the run's next answers, in their transaction, before the run acts. Outside a run's step, at once.
 * `replaces`: a key of what the write sets (the device's reading); a write under the same key still
 * waiting to be made is dropped, since this one sets it anew.
 */
export async function ridingWithJournal(write: RidingWrite, replaces?: string): Promise<void> {
  const scope = current.getStore();
  if (scope === undefined) await write();
  else scope.journal.ride(write, replaces);
}

/**
 * A value the steps of one execution of the run's workflow share, made by `load` at its first use under
 * `key` and kept until the execution ends: not recorded, so a replay after a crash (or another manager
 * taking the run over) loads it again. Only for what cannot change while the run goes on. A load that
 * fails is not kept. Outside a run's step, loaded every time.
 */
export function keptForExecution<T>(key: string, load: () => Promise<T>): Promise<T> {
  const scope = current.getStore();
  return scope === undefined ? load() : scope.journal.kept(key, load);
}

const attempts = 5;

export class RunJournal {
  private taken = 0;
  private events = 0;
  private steps: StepToWrite[] = [];
  private timeline: EventToWrite[] = [];
  private riding: RidingWrite[] = [];
  /** The keys riding writes replace by (ridingWithJournal's `replaces`). */
  private readonly ridingKeys = new WeakMap<RidingWrite, string>();
  /** Places whose answer their own step wrote ahead (withJournal's ownAnswer). */
  private readonly ahead = new Map<number, string>();
  /** What this execution's steps share (keptForExecution). */
  private readonly keeping = new Map<string, Promise<unknown>>();

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
    if (options.acts && !options.carries) await this.write();
    const output = await current.run({ seq, name, journal: this }, () => (options.retries ? retried(work) : work()));
    // Go on from the answer as it will be recorded (JSON), as a replay will.
    const answer: unknown = output === undefined ? null : JSON.parse(JSON.stringify(output));
    const written = this.ahead.get(seq);
    this.ahead.delete(seq);
    if (written === undefined) this.steps.push({ seq, name, output: answer });
    else if (written !== JSON.stringify(answer)) throw new Error(`run ${this.runId}: step ${seq} (${name}) answered otherwise than it wrote ahead`);
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

  /** keptForExecution's value under `key`. */
  kept<T>(key: string, load: () => Promise<T>): Promise<T> {
    let value = this.keeping.get(key) as Promise<T> | undefined;
    if (value === undefined) {
      value = load();
      this.keeping.set(key, value);
      value.catch(() => this.keeping.delete(key));
    }
    return value;
  }

  /** A write of another table to make with the next answers (ridingWithJournal). */
  ride(write: RidingWrite, replaces?: string): void {
    if (replaces !== undefined) {
      this.riding = this.riding.filter((pending) => this.ridingKeys.get(pending) !== replaces);
      this.ridingKeys.set(write, replaces);
    }
    this.riding.push(write);
  }

  /** withJournal's work, for the step of `scope`. */
  async writeWith<T>(scope: StepScope, work: (db?: Queryable) => Promise<T>, options: JournalWork): Promise<T> {
    const own: StepToWrite[] = [];
    if ('ownAnswer' in options && !this.ahead.has(scope.seq)) {
      const output: unknown = options.ownAnswer === undefined ? null : JSON.parse(JSON.stringify(options.ownAnswer));
      own.push({ seq: scope.seq, name: scope.name, output });
    }
    if (own.length === 0 && this.steps.length === 0 && this.timeline.length === 0 && this.riding.length === 0) return work();
    if (options.reads && own.length === 0 && this.riding.length === 0) {
      await this.write();
      return work();
    }
    const { steps, events, riding } = this.take();
    try {
      const { written, result } = await this.records.writeWith(
        this.runId,
        { steps: [...steps, ...own], events, riding },
        (found) => this.checkStanding([...steps, ...own], found),
        work,
      );
      for (const step of own) this.ahead.set(step.seq, JSON.stringify(step.output));
      this.onWritten(written, events);
      return result;
    } catch (error) {
      this.putBack(steps, events, riding);
      throw error;
    }
  }

  private async write(): Promise<void> {
    if (this.steps.length === 0 && this.timeline.length === 0 && this.riding.length === 0) return;
    const { steps, events, riding } = this.take();
    let written: Written;
    try {
      written =
        riding.length === 0
          ? await this.records.write(this.runId, steps, events)
          : (
              await this.records.writeWith(
                this.runId,
                { steps, events, riding },
                () => {},
                async () => undefined,
              )
            ).written;
    } catch (error) {
      this.putBack(steps, events, riding);
      throw error;
    }
    this.checkStanding(steps, written);
    this.onWritten(written, events);
  }

  /** What is pending, taken for a write. */
  private take(): { steps: StepToWrite[]; events: EventToWrite[]; riding: RidingWrite[] } {
    const taken = { steps: this.steps, events: this.timeline, riding: this.riding };
    this.steps = [];
    this.timeline = [];
    this.riding = [];
    return taken;
  }

  /** Not written (the database stayed away): kept for the next write, which the run's end makes too. */
  private putBack(steps: StepToWrite[], events: EventToWrite[], riding: RidingWrite[]): void {
    this.steps = [...steps, ...this.steps];
    this.timeline = [...events, ...this.timeline];
    // A write that replaced one of these while they were out stays the one to make.
    const replaced = new Set(this.riding.map((pending) => this.ridingKeys.get(pending)));
    this.riding = [...riding.filter((pending) => !this.ridingKeys.has(pending) || !replaced.has(this.ridingKeys.get(pending))), ...this.riding];
  }

  private checkStanding(steps: StepToWrite[], written: Written): void {
    for (const standing of written.standing) {
      const ours = steps.find((step) => step.seq === standing.seq);
      if (standing.name !== ours?.name || JSON.stringify(standing.output) !== JSON.stringify(ours.output)) {
        // Another execution of this run answered this place otherwise, and this one went on from its own answer.
        throw new DBOSErrors.DBOSWorkflowConflictError(this.runId);
      }
    }
  }

  private answer(seq: number, name: string, record: StepRecord): unknown {
    if (record.name !== name) throw new StepMismatchError(this.runId, seq, name, record.name);
    return record.output;
  }
}

function isStep(value: unknown): value is DurableStep<unknown[], unknown> {
  return typeof value === 'object' && value !== null && 'work' in value && 'name' in value && 'options' in value;
}

/** Runs `work`, and again on an error: 1 s, then doubling, five attempts in all. */
export async function retried<Result>(work: () => Promise<Result>): Promise<Result> {
  for (let attempt = 1, delaySeconds = 1; ; attempt++, delaySeconds *= 2) {
    try {
      return await work();
    } catch (error) {
      if (attempt === attempts) throw error;
      await sleep(delaySeconds * 1000);
    }
  }
}
