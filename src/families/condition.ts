// What every family's device says of its condition through standard MIBs: IF-MIB's ports. A family
// whose own objects say more (calls, lines, alarms, bank room) adds them to this.
import { decodePorts, portColumns, type Port } from '../protocol/snmp/interfaces-group.ts';
import type { DeviceCondition, DeviceSession } from './family.ts';

/** The device's ports; null when it serves no interfaces table. */
export async function readPorts(session: DeviceSession): Promise<Port[] | null> {
  const [names, admins, opers] = await session.walkColumns(portColumns);
  const ports = decodePorts([names!, admins!, opers!]);
  return ports.length > 0 ? ports : null;
}

/** The condition of a device whose family's objects tell nothing beyond its ports. */
export async function portsOnly(session: DeviceSession): Promise<DeviceCondition> {
  return { ports: await readPorts(session), activeCalls: null, registeredLines: null, activeAlarms: null, bankCapacity: null, operationInProgress: null };
}
