// Wakes for a campaign waiting between two looks at its runs. A run that ends, or an operator's request,
// marks the campaign's row and NOTIFYs campaignChannel (store/campaigns.ts); every manager hears it, and
// the one where the campaign waits ends the wait at once, in memory. A wake heard while the campaign is
// not waiting (it is in the middle of a turn) is held for its next wait. A wake is only a hint: the look
// that follows reads what happened, and one that is lost (a listening connection cut, a manager that
// took the campaign over) is found by reading the campaign's mark every few seconds.

/** The longest a campaign waits without reading its mark, wake heard or not. */
const defaultRereadMs = 5_000;

/** Wakes held for campaigns that were not waiting; past this many (campaigns of other managers) they are dropped. */
const heldAtMost = 10_000;

export class CampaignSignals {
  readonly #waiting = new Map<string, () => void>();
  readonly #held = new Set<string>();
  #stopped = false;
  readonly #rereadMs: number;

  constructor(options: { rereadMs?: number } = {}) {
    this.#rereadMs = options.rereadMs ?? defaultRereadMs;
  }

  /** A payload of campaignChannel: the ID of the campaign to wake. */
  heard(campaignId: string): void {
    const wake = this.#waiting.get(campaignId);
    if (wake) {
      wake();
      return;
    }
    if (this.#held.size >= heldAtMost) this.#held.clear();
    this.#held.add(campaignId);
  }

  /**
   * Waits `ms` at most, until the campaign is woken or its mark (`pending`, read every few seconds) says a
   * wake was sent. Returns at once for a wake held since its last wait.
   */
  async wait(campaignId: string, ms: number, pending: () => Promise<boolean>): Promise<void> {
    if (this.#held.delete(campaignId)) return;
    const until = Date.now() + ms;
    for (let left = ms; left > 0; left = until - Date.now()) {
      if ((await this.#sleep(campaignId, Math.min(left, this.#rereadMs))) || (await pending())) return;
    }
  }

  /**
   * The manager stops: a wait under way, and any after it, never ends (the campaign resumes where it
   * stood on the manager that takes it next), so that none reads a database being closed.
   */
  stop(): void {
    this.#stopped = true;
    this.#waiting.clear();
  }

  /** True when woken, false at the end of `ms`. */
  #sleep(campaignId: string, ms: number): Promise<boolean> {
    if (this.#stopped) return new Promise(() => {});
    return new Promise((resolve) => {
      const end = (woken: boolean) => {
        clearTimeout(timer);
        if (this.#waiting.get(campaignId) === wake) this.#waiting.delete(campaignId);
        resolve(woken);
      };
      const wake = () => end(true);
      // Unreferenced: a manager that stops does not stay up for a campaign's wait.
      const timer = setTimeout(() => {
        if (!this.#stopped) end(false);
      }, ms).unref();
      this.#waiting.set(campaignId, wake);
    });
  }
}
