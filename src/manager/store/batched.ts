// One statement for the like writes of many callers (one commit for them all): while a batch is being
// written, the calls that come meanwhile wait and go together in the next. A call that finds nothing
// under way goes at once, alone: under little load nothing waits; under load, calls share commits.
export class Batched<In, Out> {
  #queue: Array<{ input: In; resolve: (out: Out) => void; reject: (error: unknown) => void }> = [];
  #writing = false;

  /** `write` answers each input, in their order. */
  constructor(
    private readonly write: (inputs: In[]) => Promise<Out[]>,
    private readonly most = 500,
  ) {}

  run(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.#queue.push({ input, resolve, reject });
      if (!this.#writing) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.most);
      try {
        const outs = await this.write(batch.map((call) => call.input));
        for (const [n, call] of batch.entries()) call.resolve(outs[n] as Out);
      } catch (error) {
        for (const call of batch) call.reject(error);
      }
    }
    this.#writing = false;
  }
}

/** The rows one statement read for a batch, given back in the order they were asked for: undefined where none was found. */
export function inAskedOrder<Key, Row>(asked: readonly Key[], rows: readonly Row[], keyOf: (row: Row) => Key): Array<Row | undefined> {
  const found = new Map(rows.map((row) => [keyOf(row), row]));
  return asked.map((key) => found.get(key));
}
