// What a device serves its customer, kept in memory like the real unit keeps it: its ports, the voice
// lines registered with their call server, the calls in progress, the alarms raised. A boot starts it
// afresh (ports come up, lines register again, calls drop); the fault plan can keep a port down after
// new software boots (raising an alarm), and tests change calls and ports through the device.
import type { Port } from '../protocol/snmp/interfaces-group.ts';

/** The reference IAD's ports, in ifIndex order: an uplink, a LAN port and two telephone (POTS) lines. */
export const defaultPortNames: readonly string[] = ['wan0', 'lan1', 'pots1', 'pots2'];

export interface Services {
  ports: Port[];
  activeCalls: number;
  activeAlarms: number;
}

/** Voice lines are the telephone ports: each one up is registered with the call server. */
export function registeredLines(services: Services): number {
  return services.ports.filter((port) => port.name.startsWith('pots') && port.oper === 'up').length;
}

/** How the services come up after a boot; `down` names ports that stay down. */
export function servicesAtBoot(portNames: readonly string[], down: ReadonlySet<string> = new Set()): Services {
  return {
    ports: portNames.map((name, i) => ({ ifIndex: i + 1, name, admin: 'up', oper: down.has(name) ? 'down' : 'up' })),
    activeCalls: 0,
    activeAlarms: down.size,
  };
}
