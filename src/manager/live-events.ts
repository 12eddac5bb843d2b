// What changes in the manager, as it happens, for whoever shows it live (the dashboard's event stream).
// In memory and in this process only: a listener that misses an event re-reads the API, which is the
// truth. Emitting never waits for listeners and a throwing listener never reaches the emitter.
import { EventEmitter } from 'node:events';
import type { Phase, RunState } from './store/records.ts';

/** A run moved: a new timeline event, a new state or phase, or a progress report from its device. */
export interface RunChanged {
  runId: string;
  deviceId: number;
  state: RunState;
  phase: Phase;
  /** Progress (0-100) of the device's current operation, when it reports one. */
  progress?: number;
  /** The newest timeline line, when the change is one. */
  lastEvent?: {
    kind: string;
    message: string;
    cause: string | null;
    at: string;
    /** The operation type an operation's line is about (operationStarted, operationFinished). */
    operation?: string;
  };
}

/** Per-state device counts of a campaign (or of one wave), as the campaign keeps them. */
export type CampaignCounters = Record<string, number>;

export interface CampaignChanged {
  campaignId: string;
  state: string;
  /** Index of the wave under way (0-based), or null before the first or after the last. */
  wave: number | null;
  counters: CampaignCounters;
}

/** Something the inventory shows of a device changed (its version after a run, its last sighting). */
export interface DeviceChanged {
  deviceId: number;
}

export interface LiveEventMap {
  runChanged: RunChanged;
  campaignChanged: CampaignChanged;
  deviceChanged: DeviceChanged;
}

export type LiveEventName = keyof LiveEventMap;
export const liveEventNames: readonly LiveEventName[] = ['runChanged', 'campaignChanged', 'deviceChanged'];

export type LiveListener<K extends LiveEventName> = (event: LiveEventMap[K]) => void;

export class LiveEvents {
  readonly #emitter = new EventEmitter();

  constructor(private readonly onListenerError: (error: Error) => void = () => {}) {
    // One listener per open dashboard plus a few in the manager: many is normal, not a leak.
    this.#emitter.setMaxListeners(0);
  }

  emit<K extends LiveEventName>(name: K, event: LiveEventMap[K]): void {
    for (const listener of this.#emitter.listeners(name) as Array<LiveListener<K>>) {
      try {
        listener(event);
      } catch (error) {
        this.onListenerError(error as Error);
      }
    }
  }

  on<K extends LiveEventName>(name: K, listener: LiveListener<K>): () => void {
    this.#emitter.on(name, listener);
    return () => this.off(name, listener);
  }

  off<K extends LiveEventName>(name: K, listener: LiveListener<K>): void {
    this.#emitter.off(name, listener);
  }

  /** Whether anyone listens: lets emitters skip the work of building an event nobody reads. */
  listened(name: LiveEventName): boolean {
    return this.#emitter.listenerCount(name) > 0;
  }

  listenerCount(name: LiveEventName): number {
    return this.#emitter.listenerCount(name);
  }
}
