// Prometheus metrics of one manager, in a registry of its own (not prom-client's global one) so that
// a process can hold a manager and tests can read figures that belong to it alone.
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

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
    help: 'Upgrade runs started',
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

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'safeflash_process_' });
  }
}
