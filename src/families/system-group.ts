// Reading a device's system group (src/protocol/snmp/system-group.ts): how a family is recognised.
import { systemObjects } from '../protocol/snmp/system-group.ts';
import { bufferValue, isException, type Varbind } from '../protocol/snmp/varbind.ts';
import type { DeviceSession, DeviceSystem } from './family.ts';

/** sysDescr and sysObjectID in one GET; empty strings for what the device does not serve. */
export async function readSystem(session: DeviceSession): Promise<DeviceSystem> {
  const [descr, objectId] = await session.get([`${systemObjects.sysDescr.oid}.0`, `${systemObjects.sysObjectID.oid}.0`]);
  return { sysDescr: textOf(descr), sysObjectID: objectIdOf(objectId) };
}

function textOf(varbind: Varbind | undefined): string {
  return varbind && !isException(varbind) ? bufferValue(varbind).toString('utf8') : '';
}

function objectIdOf(varbind: Varbind | undefined): string {
  return varbind && !isException(varbind) && typeof varbind.value === 'string' ? varbind.value.replace(/^\./, '') : '';
}

/** Whether an OID is `prefix` or lies under it. */
export function startsWithOid(oid: string, prefix: string): boolean {
  return oid === prefix || oid.startsWith(`${prefix}.`);
}
