// Every fuzz target, by name: what `bench/fuzz.ts --target` and the test suite's rounds choose from.
import { configTarget } from './config.ts';
import { ftpServerTarget } from './ftp-server.ts';
import { httpApiTarget } from './http-api.ts';
import { imageTarget } from './image.ts';
import { notificationReceiverTarget } from './notification-receiver.ts';
import { operatorFilesTarget } from './operator-files.ts';
import { snmpAgentTarget } from './snmp-agent.ts';
import type { FuzzTarget } from './target.ts';
import { tftpServerTarget } from './tftp-server.ts';

export const targets: readonly FuzzTarget[] = [
  imageTarget,
  configTarget,
  operatorFilesTarget,
  tftpServerTarget,
  ftpServerTarget,
  snmpAgentTarget,
  notificationReceiverTarget,
  httpApiTarget,
];

export function targetNamed(name: string): FuzzTarget | undefined {
  return targets.find((t) => t.name === name);
}
