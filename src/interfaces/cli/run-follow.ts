// Following runs until each ends, for `safeflash upgrade` (the runs it started) and `safeflash runs
// follow` (runs started elsewhere). On a terminal a run that asks is answered in place; elsewhere it is
// left waiting with the command that answers it. The runs live in the manager, not here: when the
// manager cannot be reached (restarted, upgraded, a network cut) the runs go on, and following them
// goes on too, reconnecting with a capped backoff for as long as --max-wait allows.
import { createInterface } from 'node:readline/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ApiClient, ApiError, ManagerUnreachable, managerFailure } from './api-client.ts';
import { finalStates, type RunDetailJson, type RunJson } from './api-types.ts';
import { sendDecision } from './decide-command.ts';
import { BarDisplay, LineDisplay, type RunDisplay } from './run-display.ts';
import { formatTable } from './table.ts';

export interface FollowedRun {
  /** How the run is named on screen: its device, unique among the runs followed. */
  label: string;
  run: RunJson;
  detail?: RunDetailJson;
  /** Left waiting for a decision someone else will give (no terminal to ask on). */
  leftWaiting: boolean;
  /** The question (askedOperator event) answered last, so that it is not asked twice while the run takes the answer. */
  answered?: number;
}

export interface FollowOptions {
  /** Ask in place when the run waits and a terminal is there to ask on. */
  interactive: boolean;
  /** Stop following after this many seconds (the runs go on in the manager). */
  maxWait: number;
  operator: string;
}

export interface FollowResult {
  /** The runs that ended well. */
  succeeded: FollowedRun[];
  /** The runs staged, waiting for their activation. */
  staged: FollowedRun[];
  /** Why following stopped before every run ended, if it did. */
  stoppedBy?: 'interrupted' | 'maxWait';
}

/**
 * Final states that are a success. A string list: a run found already up to date ends in a state of
 * its own (upToDate) that counts as success wherever the manager has it.
 */
const succeededStates: ReadonlyArray<RunJson['state']> = ['verified', 'upToDate'];

export function succeeded(run: RunJson): boolean {
  return succeededStates.includes(run.state);
}

export function newFollowedRun(label: string, run: RunJson, detail?: RunDetailJson): FollowedRun {
  return { label, run, ...(detail ? { detail } : {}), leftWaiting: false };
}

const pollMs = 500;
/** A read of a run must not hang on a manager that accepted the connection and then stopped. */
const readTimeoutMs = 10_000;
/** Reconnecting: the first pause, doubled after each failed try up to the cap. */
const reconnectFirstMs = 500;
const reconnectMaxMs = 8_000;
/** Answers of a proxy or a manager starting or stopping: try again, as when it does not answer. */
const unavailableStatuses = [502, 503, 504];

/** Follows the runs until each ends, is left waiting, --max-wait runs out or SIGINT; prints the summary table. */
export async function followRuns(api: ApiClient, followed: FollowedRun[], options: FollowOptions): Promise<FollowResult> {
  const terminal = process.stdout.isTTY === true && process.stdin.isTTY === true;
  const interactive = terminal && options.interactive;
  const display: RunDisplay = process.stdout.isTTY ? new BarDisplay(followed.map((f) => f.label)) : new LineDisplay();
  const interrupted = new Promise<'interrupted'>((resolve) => process.once('SIGINT', () => resolve('interrupted')));
  const deadline = Date.now() + options.maxWait * 1000;
  const link = new ManagerLink(display, deadline);
  let stoppedBy: FollowResult['stoppedBy'];
  try {
    for (const f of followed) if (f.detail) display.update(f.label, f.detail);
    while (followed.some(following)) {
      try {
        for (const f of followed.filter(following)) {
          f.detail = await api.get<RunDetailJson>(`/api/runs/${encodeURIComponent(f.run.id)}`, { timeoutMs: readTimeoutMs });
          f.run = f.detail.run;
          link.answered();
          display.update(f.label, f.detail);
          if (f.run.state !== 'waiting' || (f.answered !== undefined && f.answered === lastAskId(f.detail))) continue;
          if (interactive) await askInPlace(api, f, display, options.operator);
          else {
            f.leftWaiting = true;
            display.say(
              `${f.label}: run ${f.run.id} waits for a decision in ${f.run.phase}: ${lastAsk(f.detail)}\n  answer with: safeflash decide ${f.run.id} retry|abort`,
            );
          }
        }
      } catch (error) {
        if (error instanceof ApiError && !unavailable(error)) throw managerFailure(error);
        if (!unavailable(error)) throw error;
        link.lost(error);
      }
      if (!followed.some(following)) break;
      if (Date.now() > deadline) {
        stoppedBy = 'maxWait';
        break;
      }
      const pause = Math.max(0, Math.min(link.pauseMs() ?? pollMs, deadline - Date.now() + 1));
      if ((await Promise.race([sleep(pause), interrupted])) === 'interrupted') {
        stoppedBy = 'interrupted';
        break;
      }
    }
  } finally {
    display.stop();
  }
  process.stdout.write(`\n${followSummary(followed)}`);
  if (stoppedBy) {
    const why = stoppedBy === 'maxWait' ? `--max-wait ${options.maxWait} s` : 'interrupted';
    const ids = followed.filter((f) => !finalStates.includes(f.run.state)).map((f) => f.run.id);
    process.stderr.write(`stopped following (${why}); the runs go on in the manager: safeflash runs follow ${ids.join(' ')}\n`);
  }
  return {
    succeeded: followed.filter((f) => succeeded(f.run)),
    staged: followed.filter((f) => f.run.state === 'staged'),
    ...(stoppedBy ? { stoppedBy } : {}),
  };
}

function unavailable(error: unknown): boolean {
  return error instanceof ManagerUnreachable || (error instanceof ApiError && unavailableStatuses.includes(error.status));
}

/** Whether the manager answers, said once per outage; the pause before the next try while it does not. */
class ManagerLink {
  #lostAt: number | undefined;
  #nextPauseMs = reconnectFirstMs;

  constructor(
    private readonly display: RunDisplay,
    private readonly deadline: number,
  ) {}

  lost(error: unknown): void {
    if (this.#lostAt !== undefined) return;
    this.#lostAt = Date.now();
    const reason = error instanceof ManagerUnreachable ? `${error.origin}: ${error.reason}` : (error as Error).message;
    this.display.say(`the manager is unreachable (${reason}); the runs go on in it. Reconnecting until ${new Date(this.deadline).toISOString()} (--max-wait)`);
  }

  answered(): void {
    if (this.#lostAt === undefined) return;
    this.display.say(`the manager answers again after ${((Date.now() - this.#lostAt) / 1000).toFixed(1)} s; following the runs`);
    this.#lostAt = undefined;
    this.#nextPauseMs = reconnectFirstMs;
  }

  /** Undefined while the manager answers. */
  pauseMs(): number | undefined {
    if (this.#lostAt === undefined) return undefined;
    const pause = this.#nextPauseMs;
    this.#nextPauseMs = Math.min(reconnectMaxMs, pause * 2);
    return pause;
  }
}

/** A staged run waits for its activation, which may come days later: following stops there. */
function following(f: FollowedRun): boolean {
  return !finalStates.includes(f.run.state) && f.run.state !== 'staged' && !f.leftWaiting;
}

function lastAskId(detail: RunDetailJson): number | undefined {
  return [...detail.timeline].reverse().find((e) => e.kind === 'askedOperator')?.id;
}

function lastAsk(detail: RunDetailJson): string {
  const asked = [...detail.timeline].reverse().find((e) => e.kind === 'askedOperator' || e.kind === 'phaseFailed');
  return asked ? `${asked.message}${asked.cause ? ` [${asked.cause}]` : ''}` : 'the phase failed';
}

const answers: Record<string, 'retry' | 'abort' | 'keepNewSoftware'> = {
  r: 'retry',
  retry: 'retry',
  a: 'abort',
  abort: 'abort',
  k: 'keepNewSoftware',
  keep: 'keepNewSoftware',
};

async function askInPlace(api: ApiClient, f: FollowedRun, display: RunDisplay, operator: string): Promise<void> {
  display.pause();
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    process.stdout.write(`\n${f.label}: run ${f.run.id} failed in ${f.run.phase}: ${lastAsk(f.detail!)}\n`);
    for (let attempt = 0; attempt < 3; attempt++) {
      const typed = (await prompt.question('retry, abort, or keep the new software? [r/a/k] ')).trim().toLowerCase();
      const answer = answers[typed];
      if (!answer) continue;
      const before = f.answered;
      f.answered = lastAskId(f.detail!) ?? -1;
      try {
        await sendDecision(api, f.run.id, { answer, operator });
      } catch (error) {
        if (error instanceof ManagerUnreachable) {
          // Not recorded: the question is asked again once the manager answers, if the run still waits.
          f.answered = before;
          process.stdout.write(`not sent: ${error.message}\n`);
          throw error;
        }
        if (!(error instanceof ApiError)) throw error;
        process.stdout.write(`not taken: ${error.message}\n`);
      }
      return;
    }
    f.leftWaiting = true;
    process.stdout.write(`left waiting; answer later with: safeflash decide ${f.run.id} retry|abort\n`);
  } finally {
    prompt.close();
    display.resume();
  }
}

/** What an operator does next with a run that waits for one. */
function nextStep(run: RunJson): string {
  if (run.state === 'waiting') return `safeflash decide ${run.id} retry|abort`;
  if (run.state === 'staged') return `staged; activate with: safeflash activate ${run.id}`;
  return '';
}

export function followSummary(followed: FollowedRun[]): string {
  return formatTable(
    ['DEVICE', 'RUN', 'RESULT', 'PHASE', 'RETRIES', 'REVERTS', 'TOOK', 'SUMMARY'],
    followed.map((f) => {
      const took = (Date.parse(f.run.updatedAt) - Date.parse(f.run.createdAt)) / 1000;
      return [
        f.label,
        f.run.id,
        f.run.state,
        f.run.phase,
        String(f.detail?.counts.retries ?? 0),
        String(f.detail?.counts.reverts ?? 0),
        `${took.toFixed(1)} s`,
        f.run.outcome?.summary ?? nextStep(f.run),
      ];
    }),
  );
}
