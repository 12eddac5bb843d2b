// How `safeflash upgrade` shows runs as they go: a progress bar per device on a terminal, a plain line
// per timeline event otherwise (logs, CI, pipes).
import { createRequire } from 'node:module';
import type cliProgress from 'cli-progress';
import type { RunDetailJson, RunEventJson } from './api-types.ts';

// Loaded when bars are drawn, not by every command that imports this file.
const bars = (): typeof cliProgress => createRequire(import.meta.url)('cli-progress');

const phaseOrder = ['preflight', 'backup', 'upgrade', 'migrate', 'restore', 'verify'];

/** The whole run as one figure: phases done plus the progress of the current operation. */
export function overallPercent(detail: RunDetailJson): number {
  if (detail.run.state === 'verified') return 100;
  const index = Math.max(0, phaseOrder.indexOf(detail.run.phase));
  return Math.min(99, Math.round((index * 100 + (detail.progress ?? 0)) / phaseOrder.length));
}

export interface RunDisplay {
  update(label: string, detail: RunDetailJson): void;
  /** Print a line outside the bars. */
  say(text: string): void;
  /** Leave the terminal to a question; resume() brings the bars back. */
  pause(): void;
  resume(): void;
  stop(): void;
}

export class LineDisplay implements RunDisplay {
  readonly #seen = new Map<string, number>();

  update(label: string, detail: RunDetailJson): void {
    const shown = this.#seen.get(detail.run.id) ?? 0;
    const fresh: RunEventJson[] = detail.timeline.filter((e) => e.id > shown);
    for (const event of fresh) {
      process.stdout.write(`${event.at} ${label}: ${event.phase} ${event.kind}${event.cause ? ` [${event.cause}]` : ''}: ${event.message}\n`);
    }
    if (fresh.length > 0) this.#seen.set(detail.run.id, fresh[fresh.length - 1]!.id);
  }

  say(text: string): void {
    process.stdout.write(`${new Date().toISOString()} ${text}\n`);
  }

  pause(): void {}
  resume(): void {}
  stop(): void {}
}

export class BarDisplay implements RunDisplay {
  #bars: cliProgress.MultiBar | undefined;
  readonly #rows = new Map<string, { bar: cliProgress.SingleBar | undefined; value: number; payload: Record<string, string> }>();
  readonly #width: number;

  constructor(labels: string[]) {
    this.#width = Math.max(...labels.map((l) => l.length));
    for (const label of labels)
      this.#rows.set(label, { bar: undefined, value: 0, payload: { device: label.padEnd(this.#width), phase: 'starting', state: '' } });
    this.resume();
  }

  update(label: string, detail: RunDetailJson): void {
    const row = this.#rows.get(label);
    if (!row) return;
    row.value = overallPercent(detail);
    const { state, phase } = detail.run;
    row.payload = {
      device: label.padEnd(this.#width),
      phase: state === 'running' ? `${phase}${detail.progress !== null ? ` ${detail.progress}%` : ''}` : phase,
      state: state === 'running' ? '' : state === 'waiting' ? 'WAITING for a decision' : state,
    };
    row.bar?.update(row.value, row.payload);
  }

  say(text: string): void {
    if (this.#bars) this.#bars.log(`${text}\n`);
    else process.stdout.write(`${text}\n`);
  }

  pause(): void {
    this.#bars?.stop();
    this.#bars = undefined;
  }

  resume(): void {
    if (this.#bars) return;
    const { MultiBar, Presets } = bars();
    this.#bars = new MultiBar(
      { format: '{device} |{bar}| {percentage}% {phase} {state}', hideCursor: true, clearOnComplete: false, stopOnComplete: false, autopadding: true },
      Presets.shades_classic,
    );
    for (const row of this.#rows.values()) row.bar = this.#bars.create(100, row.value, row.payload);
  }

  stop(): void {
    this.pause();
  }
}
