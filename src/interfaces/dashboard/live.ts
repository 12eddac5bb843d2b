// The manager's live changes (/api/events) for every view: one EventSource per tab, reopened when the
// token changes. `hello` (each connection) and `resync` tell views to re-read what they show.
import { eventsUrl, onTokenNeeded } from './api.ts';
import type { CampaignChanged, RunChanged } from './types.ts';

export interface LiveMap {
  runChanged: RunChanged;
  campaignChanged: CampaignChanged;
  deviceChanged: { deviceId: number };
  /** Re-read everything: (re)connected, or changes were dropped. */
  resync: Record<string, never>;
}
export type LiveName = keyof LiveMap;
export type LiveStatus = 'connecting' | 'live' | 'offline';

const listeners = new Map<LiveName, Set<(event: never) => void>>();
const statusListeners = new Set<(status: LiveStatus) => void>();
let source: EventSource | undefined;
let status: LiveStatus = 'connecting';

function setStatus(next: LiveStatus): void {
  status = next;
  for (const listener of statusListeners) listener(next);
}

function dispatch<K extends LiveName>(name: K, data: LiveMap[K]): void {
  for (const listener of listeners.get(name) ?? []) (listener as (event: LiveMap[K]) => void)(data);
}

export function connect(): void {
  source?.close();
  setStatus('connecting');
  const opened = new EventSource(eventsUrl());
  source = opened;
  opened.addEventListener('hello', () => {
    setStatus('live');
    dispatch('resync', {});
  });
  opened.addEventListener('resync', () => dispatch('resync', {}));
  for (const name of ['runChanged', 'campaignChanged', 'deviceChanged'] as const) {
    opened.addEventListener(name, (message) => dispatch(name, JSON.parse((message as MessageEvent<string>).data)));
  }
  // EventSource retries by itself after a dropped connection; a refused one (401) it closes for good.
  opened.onerror = () => setStatus(opened.readyState === EventSource.CLOSED ? 'offline' : 'connecting');
}

onTokenNeeded((needed) => {
  if (!needed) connect();
});

export function onLive<K extends LiveName>(name: K, listener: (event: LiveMap[K]) => void): () => void {
  let set = listeners.get(name);
  if (!set) {
    set = new Set();
    listeners.set(name, set);
  }
  set.add(listener as (event: never) => void);
  return () => set.delete(listener as (event: never) => void);
}

export function liveStatus(): LiveStatus {
  return status;
}

export function onLiveStatus(listener: (status: LiveStatus) => void): () => void {
  statusListeners.add(listener);
  return () => statusListeners.delete(listener);
}
