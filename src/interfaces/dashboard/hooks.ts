// Data for views: read from the API, re-read (at most every `throttleMs`) when a live change says the
// data moved, and on every (re)connection of the event stream.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api.ts';
import { liveStatus, onLive, onLiveStatus, type LiveMap, type LiveName, type LiveStatus } from './live.ts';

export interface Resource<T> {
  data: T | undefined;
  error: Error | undefined;
  reload: () => void;
  /** Changes the data in place, for live changes that carry all the view needs. */
  patch: (change: (data: T) => T) => void;
}

export type RefreshRule = { [K in LiveName]?: (event: LiveMap[K]) => boolean };

export function useApi<T>(path: string | null, refreshOn: RefreshRule = {}, throttleMs = 500): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const rules = useRef(refreshOn);
  rules.current = refreshOn;
  const state = useRef<{ inFlight: boolean; again: boolean; timer: number | undefined; last: number }>({
    inFlight: false,
    again: false,
    timer: undefined,
    last: 0,
  });

  const load = useCallback(() => {
    if (!path) return;
    const s = state.current;
    if (s.inFlight) {
      s.again = true;
      return;
    }
    s.inFlight = true;
    s.last = Date.now();
    api
      .get<T>(path)
      .then((value) => {
        setData(value);
        setError(undefined);
      })
      .catch((failure: Error) => setError(failure))
      .finally(() => {
        s.inFlight = false;
        if (s.again) {
          s.again = false;
          schedule();
        }
      });
  }, [path]);

  const schedule = useCallback(() => {
    const s = state.current;
    if (s.timer !== undefined) return;
    const wait = Math.max(0, throttleMs - (Date.now() - s.last));
    s.timer = window.setTimeout(() => {
      s.timer = undefined;
      load();
    }, wait);
  }, [load, throttleMs]);

  useEffect(() => {
    setData(undefined);
    load();
    const offs = [
      onLive('resync', schedule),
      onLive('runChanged', (event) => rules.current.runChanged?.(event) && schedule()),
      onLive('campaignChanged', (event) => rules.current.campaignChanged?.(event) && schedule()),
      onLive('deviceChanged', (event) => rules.current.deviceChanged?.(event) && schedule()),
    ];
    return () => {
      for (const off of offs) off();
      if (state.current.timer !== undefined) window.clearTimeout(state.current.timer);
      state.current.timer = undefined;
    };
  }, [path, load, schedule]);

  const patch = useCallback((change: (data: T) => T) => setData((current) => (current === undefined ? current : change(current))), []);
  return { data, error, reload: load, patch };
}

/** Calls `listener` for each live change of `name` while the view is shown. */
export function useLive<K extends LiveName>(name: K, listener: (event: LiveMap[K]) => void): void {
  const current = useRef(listener);
  current.current = listener;
  useEffect(() => onLive(name, (event) => current.current(event)), [name]);
}

export function useLiveStatus(): LiveStatus {
  const [status, setStatus] = useState(liveStatus());
  useEffect(() => onLiveStatus(setStatus), []);
  return status;
}

/** Re-renders every `ms`, for "3 s ago" labels. */
export function useTick(ms = 5000): void {
  const [, setTick] = useState(0);
  useEffect(() => {
    const timer = window.setInterval(() => setTick((n) => n + 1), ms);
    return () => window.clearInterval(timer);
  }, [ms]);
}
