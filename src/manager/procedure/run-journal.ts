// The run's durable steps and where their answers are kept. A step is something the run asks of the
// world (the device, the database, the file service) whose answer must not change when the workflow
// is replayed after a crash: the first answer is recorded, and a replay gets it back.
//
// Why not DBOS's own steps: each of those costs eight statements on the database (three looks at the
// workflow's status, one at the step's row, a transaction of four to record it), about 40 % of what a
// run cost the manager and PostgreSQL together. Here a run's recorded answers are read once when its
// workflow (re)starts, and a new answer is one INSERT. The workflow stays DBOS's: its recovery, its
// queue, its durable timers and messages (recv, send, sleep, now) are unchanged, and the order of both
// kinds of calls stays fixed by the workflow's code, which is what a replay relies on.
//
// Two executions of one run (a manager taken over while still running it) both go on from the answer
// recorded first: a step's work may then happen twice, as after a crash, which every step allows
// (device orders are repeats the device recognises, database writes are keyed). The other execution
// stops at its next DBOS call, which DBOS refuses to an execution that no longer owns the workflow.
import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StepRecords } from '../store/step-records.ts';

export interface StepOptions {
  /** Tried again on an error (1 s, then doubling, five attempts in all): database steps, whose errors pass. */
  retries?: boolean;
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

  private constructor(
    private readonly records: StepRecords,
    private readonly runId: string,
    private readonly recorded: Map<number, { name: string; output: unknown }>,
  ) {}

  /** The journal of a run's workflow execution, with the answers recorded by the executions before it. */
  static async open(records: StepRecords, runId: string): Promise<RunJournal> {
    return new RunJournal(records, runId, await records.of(runId));
  }

  /** Runs the step, or gives back its recorded answer. Places are taken before any await, as DBOS takes its function IDs. */
  async step<Result>(name: string, work: () => Promise<Result>, options: StepOptions = {}): Promise<Result> {
    const seq = ++this.taken;
    const found = this.recorded.get(seq);
    if (found) return this.answer(seq, name, found) as Result;
    const output = await current.run(`step:${seq}`, () => (options.retries ? retried(work) : work()));
    // The answer as recorded, so that the first execution and every replay go on from the same JSON;
    // the one another execution of this run recorded first, if it did.
    return this.answer(seq, name, await this.records.record(this.runId, seq, name, output)) as Result;
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

  private answer(seq: number, name: string, record: { name: string; output: unknown }): unknown {
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
