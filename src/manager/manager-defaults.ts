// Where the manager listens and what it accepts when nothing else is said: loopback everywhere, ports
// above 1024 (no privileges needed). Kept apart from manager.ts so that reading them loads nothing heavy.
import { agentDefaults } from '../agent/defaults.ts';
import type { UsmUser } from '../protocol/snmp/security.ts';

export const managerDefaults = {
  dataDir: './data/manager',
  http: { address: '127.0.0.1', port: 8080 },
  notifications: { address: '127.0.0.1', port: 16162 },
  tftp: { address: '127.0.0.1', port: 16969 },
  ftp: { address: '127.0.0.1', port: 16921 },
  snmpSourceAddress: '127.0.0.1',
  /** The reference agent's laboratory user, so that a fleet started with defaults can notify. */
  notificationUsers: [{ name: agentDefaults.user, authKey: agentDefaults.authKey, privKey: agentDefaults.privKey }] as UsmUser[],
} as const;
