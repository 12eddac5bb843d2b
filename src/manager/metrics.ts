// Prometheus metrics of one manager, in a registry of its own (not prom-client's global one) so that
// a process can hold a manager and tests can read figures that belong to it alone. Figures about runs
// are derived from the runs' recorded events in one place (manager/run-observer.ts), not counted
// where things happen; active runs are read from the database when scraped, so they are right after
// a restart too.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ActiveRunCount } from './store/runs.ts';

/** Seconds a phase may reasonably take, from a quick preflight to a slow image download. */
const phaseSecondsBuckets = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/** Campaigns by state: set by the campaign scheduler, which knows them. */
export class CampaignGauge {
  constructor(private readonly gauge: Gauge<'state'>) {}

  /** How many campaigns are in `state` now. */
  set(state: string, count: number): void {
    this.gauge.set({ state }, count);
  }

  /** Every state at once: states not named are set to 0 (so a state emptied does not keep its last count). */
  setAll(counts: Readonly<Record<string, number>>): void {
    this.gauge.reset();
    for (const [state, count] of Object.entries(counts)) this.gauge.set({ state }, count);
  }
}

/** What a connection pool says of itself (pg.Pool's counters). */
export interface PoolCounters {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

export class ManagerMetrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'safeflash_http_requests_total',
    help: 'HTTP API requests answered, by method, route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly devicesAdded = new Counter({
    name: 'safeflash_devices_added_total',
    help: 'Devices added to the inventory (add, discover, import)',
    labelNames: ['how'] as const,
    registers: [this.registry],
  });
  readonly imagesAdded = new Counter({
    name: 'safeflash_images_added_total',
    help: 'Signed images accepted',
    registers: [this.registry],
  });
  readonly imagesRefused = new Counter({
    name: 'safeflash_images_refused_total',
    help: 'Images refused (signature, digest, structure), by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly runsStarted = new Counter({
    name: 'safeflash_runs_started_total',
    help: 'Upgrade runs started through the API',
    registers: [this.registry],
  });
  readonly decisions = new Counter({
    name: 'safeflash_decisions_total',
    help: 'Operator decisions sent to waiting runs, by answer',
    labelNames: ['answer'] as const,
    registers: [this.registry],
  });
  readonly notifications = new Counter({
    name: 'safeflash_notifications_received_total',
    help: 'SNMP notifications received from devices, by kind (unknown: not a SAFEFLASH-MIB notification)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly notificationsMissed = new Counter({
    name: 'safeflash_notifications_missed_total',
    help: 'Operations whose end was learnt by polling the device because no notification came (polling fallback), by phase',
    labelNames: ['phase'] as const,
    registers: [this.registry],
  });
  readonly runsEnded = new Counter({
    name: 'safeflash_runs_ended_total',
    help: 'Runs that ended, by outcome (verified, upToDate, failed, rolledBack, aborted) and the phase they ended in',
    labelNames: ['outcome', 'phase'] as const,
    registers: [this.registry],
  });
  readonly phases = new Histogram({
    name: 'safeflash_phase_duration_seconds',
    help: 'How long phase attempts took, by phase and result (succeeded, failed); attempts a restart interrupted are not counted',
    labelNames: ['phase', 'result'] as const,
    buckets: phaseSecondsBuckets,
    registers: [this.registry],
  });
  readonly phaseFailures = new Counter({
    name: 'safeflash_phase_failures_total',
    help: 'Failed phase attempts, by phase and cause',
    labelNames: ['phase', 'cause'] as const,
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'safeflash_retries_total',
    help: 'Phase retries the failure policy scheduled, by phase',
    labelNames: ['phase'] as const,
    registers: [this.registry],
  });
  readonly reverts = new Counter({
    name: 'safeflash_reverts_total',
    help: 'Reverts to the previous software bank (step 160) that finished, by phase and result (ok, failed)',
    labelNames: ['phase', 'result'] as const,
    registers: [this.registry],
  });
  readonly fileBytes = new Counter({
    name: 'safeflash_file_bytes_total',
    help: 'Bytes moved by completed transfers of the file service, by protocol (tftp, ftp) and direction (read: served to devices, write: uploaded by them)',
    labelNames: ['protocol', 'direction'] as const,
    registers: [this.registry],
  });
  readonly #campaigns = new Gauge({
    name: 'safeflash_campaigns',
    help: 'Campaigns by state',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  readonly campaigns = new CampaignGauge(this.#campaigns);
  #countActiveRuns: (() => Promise<ActiveRunCount[]>) | undefined;
  readonly #pools = new Map<string, PoolCounters>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'safeflash_process_' });
    const metrics = this;
    new Gauge({
      name: 'safeflash_runs_active',
      help: 'Runs not ended (running, or waiting for an operator), by phase and state',
      labelNames: ['phase', 'state'] as const,
      registers: [this.registry],
      async collect() {
        if (!metrics.#countActiveRuns) return;
        this.reset();
        for (const { phase, state, count } of await metrics.#countActiveRuns()) this.set({ phase, state }, count);
      },
    });
    new Gauge({
      name: 'safeflash_database_connections',
      help: "The manager's database connections by pool and state (busy, idle), and the queries waiting for one (waiting)",
      labelNames: ['pool', 'state'] as const,
      registers: [this.registry],
      collect() {
        for (const [pool, counters] of metrics.#pools) {
          this.set({ pool, state: 'busy' }, counters.totalCount - counters.idleCount);
          this.set({ pool, state: 'idle' }, counters.idleCount);
          this.set({ pool, state: 'waiting' }, counters.waitingCount);
        }
      },
    });
  }

  /** A database connection pool to report when scraped: a queue of waiting queries is what slows the API under load. */
  observePool(name: string, pool: PoolCounters): void {
    this.#pools.set(name, pool);
  }

  /** Where the active-runs gauge reads its figures when scraped. */
  countActiveRunsWith(count: () => Promise<ActiveRunCount[]>): void {
    this.#countActiveRuns = count;
  }
}
