// Maintenance windows: the hours of the day, in a time zone of the operator's choosing, when a
// campaign may start runs. A window may cross midnight (22:00-04:00). Runs already going when the
// window closes carry on to their end: a device is never left mid-upgrade because a clock moved.

export interface MaintenanceWindow {
  /** Minutes after local midnight. */
  startMinute: number;
  endMinute: number;
  /** IANA name, e.g. Europe/Paris. */
  timeZone: string;
}

export class WindowError extends Error {
  override name = 'WindowError';
}

const minutesPerDay = 24 * 60;

function parseClockTime(text: string, what: string): number {
  const match = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(text.trim());
  if (!match) throw new WindowError(`${what} ${JSON.stringify(text)} is not a time of day HH:MM (00:00 to 23:59)`);
  return Number(match[1]) * 60 + Number(match[2]);
}

export function checkTimeZone(timeZone: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone }).format(0);
  } catch {
    throw new WindowError(`unknown time zone ${JSON.stringify(timeZone)} (an IANA name such as Europe/Paris or UTC)`);
  }
  return timeZone;
}

/** "02:00-05:00" in a time zone; start and end must differ (an always-open window is no window). */
export function parseWindow(text: string, timeZone: string): MaintenanceWindow {
  const parts = text.split('-');
  if (parts.length !== 2) throw new WindowError(`window ${JSON.stringify(text)}: expected START-END such as 02:00-05:00`);
  const startMinute = parseClockTime(parts[0]!, 'window start');
  const endMinute = parseClockTime(parts[1]!, 'window end');
  if (startMinute === endMinute) throw new WindowError(`window ${JSON.stringify(text)}: start and end are the same time`);
  return { startMinute, endMinute, timeZone: checkTimeZone(timeZone) };
}

export function formatWindow(window: MaintenanceWindow): string {
  const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  return `${hhmm(window.startMinute)}-${hhmm(window.endMinute)} ${window.timeZone}`;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Seconds since local midnight in the zone, at instant `at` (ms since the epoch). */
export function localSecondOfDay(at: number, timeZone: string): number {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]));
  return Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second);
}

export function windowIsOpen(window: MaintenanceWindow, at: number): boolean {
  const minute = Math.floor(localSecondOfDay(at, window.timeZone) / 60);
  return window.startMinute < window.endMinute
    ? minute >= window.startMinute && minute < window.endMinute
    : minute >= window.startMinute || minute < window.endMinute;
}

/**
 * Milliseconds from `at` until the window next opens (0 when open). Counted in local wall-clock time:
 * across a daylight-saving change it can be an hour off, so a caller wakes up, looks again, and waits
 * again if need be.
 */
export function untilWindowOpens(window: MaintenanceWindow, at: number): number {
  if (windowIsOpen(window, at)) return 0;
  const second = localSecondOfDay(at, window.timeZone);
  const wait = (window.startMinute * 60 - second + minutesPerDay * 60) % (minutesPerDay * 60);
  return Math.max(1, wait) * 1000 - (at % 1000);
}
