// Small pieces every view uses: state badges, progress bars, counters, panels.
import type { ComponentChildren } from 'preact';
import { words } from '../format.ts';

/** A state's colour family: the same state looks the same everywhere. */
export function tone(state: string | null | undefined): string {
  switch (state) {
    case 'verified':
    case 'upToDate':
    case 'recovered':
    case 'completed':
    case 'succeeded':
    case 'done':
    case 'pass':
      return 'good';
    case 'failed':
    case 'aborted':
    case 'unreachable':
    case 'fail':
      return 'bad';
    case 'rolledBack':
    case 'offline':
    case 'busy':
    case 'aborting':
    case 'paused':
    case 'reverted':
    case 'thresholdPaused':
      return 'warn';
    case 'waiting':
    case 'staged':
    case 'awaitingApproval':
    case 'waitingWindow':
      return 'ask';
    case 'running':
    case 'upgrading':
    case 'active':
      return 'busy';
    default:
      return 'idle';
  }
}

export function Badge({ state, label }: { state: string | null | undefined; label?: string }) {
  return (
    <span class={`badge ${tone(state)}`} data-state={state ?? ''}>
      {label ?? words(state ?? 'none')}
    </span>
  );
}

export function Progress({ value, state }: { value: number | null; state?: string | null | undefined }) {
  const shown = value === null ? 0 : Math.max(0, Math.min(100, value));
  return (
    <div class={`progress ${tone(state)}`} role="progressbar" aria-valuenow={shown} aria-valuemin={0} aria-valuemax={100}>
      <div class="fill" style={{ width: `${shown}%` }} />
      <span class="label">{value === null ? '' : `${Math.round(shown)}%`}</span>
    </div>
  );
}

/** One bar split by state, e.g. a wave's devices: verified | running | failed | pending. */
export function StackedBar({ counters, total }: { counters: Record<string, number>; total: number }) {
  const sum = Math.max(
    total,
    Object.values(counters).reduce((a, b) => a + b, 0),
    1,
  );
  return (
    <div
      class="stacked"
      title={Object.entries(counters)
        .map(([k, v]) => `${words(k)}: ${v}`)
        .join(', ')}
    >
      {Object.entries(counters)
        .filter(([, n]) => n > 0)
        .map(([state, n]) => (
          <div key={state} class={`seg ${tone(state)}`} style={{ width: `${(n / sum) * 100}%` }} />
        ))}
    </div>
  );
}

export function Counts({ counters }: { counters: Record<string, number> }) {
  const entries = Object.entries(counters).filter(([, n]) => n > 0);
  if (entries.length === 0) return <span class="muted">—</span>;
  return (
    <span class="counts">
      {entries.map(([state, n]) => (
        <span key={state} class={`count ${tone(state)}`} title={words(state)}>
          <i />
          {n} {words(state)}
        </span>
      ))}
    </span>
  );
}

export function Panel({
  title,
  actions,
  children,
  class: extra,
}: {
  title?: ComponentChildren;
  actions?: ComponentChildren;
  children: ComponentChildren;
  class?: string;
}) {
  return (
    <section class={`panel ${extra ?? ''}`}>
      {(title || actions) && (
        <header class="panel-head">
          <h2>{title}</h2>
          <div class="panel-actions">{actions}</div>
        </header>
      )}
      {children}
    </section>
  );
}

export function Stat({ label, value, sub, state }: { label: string; value: ComponentChildren; sub?: ComponentChildren; state?: string }) {
  return (
    <div class={`stat ${state ? tone(state) : ''}`}>
      <div class="stat-label">{label}</div>
      <div class="stat-value">{value}</div>
      {sub && <div class="stat-sub">{sub}</div>}
    </div>
  );
}

export function Failure({ error }: { error: Error | undefined }) {
  return error ? <div class="error-line">{error.message}</div> : null;
}

export function Loading() {
  return <div class="muted pad">Loading…</div>;
}

/** A table's header row: a column is its title, or its title and a class (right-aligned, bar width). */
export function TableHead({ columns }: { columns: Array<string | [title: string, className: string]> }) {
  return (
    <thead>
      <tr>
        {columns.map((column) =>
          typeof column === 'string' ? (
            <th key={column}>{column}</th>
          ) : (
            <th key={column[0]} class={column[1]}>
              {column[0]}
            </th>
          ),
        )}
      </tr>
    </thead>
  );
}
