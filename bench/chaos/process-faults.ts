// The faults that strike whole processes, at moments drawn from the seed: a manager SIGKILLed and started
// again after a while (long enough, sometimes, for another manager to take its runs over), a fleet
// process SIGKILLed (a power cut of all its devices at once) and powered on again, PostgreSQL SIGKILLed
// with every backend and started again (crash recovery). One at a time, until told to stop.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChaosLab } from './lab.ts';
import type { Seeded } from './seeded.ts';

export const processFaultKinds = ['managerKilled', 'fleetPowerCut', 'postgresKilled'] as const;
export type ProcessFaultKind = (typeof processFaultKinds)[number];

export interface ProcessFaultOptions {
  /** The pause between two faults, drawn between these (seconds). */
  gapSeconds: [number, number];
}

export class ProcessFaults {
  readonly counts: Record<ProcessFaultKind, number> = { managerKilled: 0, fleetPowerCut: 0, postgresKilled: 0 };
  private stopped = false;
  private done: Promise<void> | undefined;

  constructor(
    private readonly lab: ChaosLab,
    private readonly random: Seeded,
    private readonly options: ProcessFaultOptions,
    private readonly note: (text: string) => void,
  ) {}

  start(): void {
    this.done = this.loop();
  }

  /** No new fault; waits until the one under way has been undone (its process started again). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  private async loop(): Promise<void> {
    for (;;) {
      const gapMs = 1000 * (this.options.gapSeconds[0] + this.random.next() * (this.options.gapSeconds[1] - this.options.gapSeconds[0]));
      for (const until = Date.now() + gapMs; Date.now() < until; ) {
        if (this.stopped) return;
        await sleep(Math.min(250, until - Date.now()));
      }
      if (this.stopped) return;
      const kind = this.random.weighted({ managerKilled: 4, fleetPowerCut: 4, postgresKilled: 2 } satisfies Record<ProcessFaultKind, number>);
      try {
        await this.inject(kind);
        this.counts[kind]++;
      } catch (error) {
        this.note(`${kind}: ${(error as Error).message}`);
      }
    }
  }

  private async inject(kind: ProcessFaultKind): Promise<void> {
    const { lab, random } = this;
    switch (kind) {
      case 'managerKilled': {
        const manager = random.pick(lab.managers);
        // Past 4 s, the others take its runs over (the lab's managers are dead after 4 s of silence).
        const downMs = random.between(300, 8000);
        this.note(`SIGKILL ${manager.name}, down ${downMs} ms`);
        await lab.kill(manager);
        await sleep(downMs);
        await lab.startManager(manager);
        return;
      }
      case 'fleetPowerCut': {
        const fleet = random.pick(lab.fleets);
        const downMs = random.between(200, 3000);
        this.note(`SIGKILL ${fleet.name} (power cut of its devices), down ${downMs} ms`);
        await lab.kill(fleet);
        await sleep(downMs);
        await lab.startFleet(fleet);
        return;
      }
      case 'postgresKilled': {
        const downMs = random.between(300, 4000);
        this.note(`SIGKILL PostgreSQL, down ${downMs} ms`);
        await lab.postgres!.crash(downMs);
        return;
      }
    }
  }
}
