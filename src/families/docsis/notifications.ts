// The modem's software-upgrade notifications (RFC 4547) in one place: encoded by the personality when a
// download starts, fails or ends with the new software running, and decoded by the manager. They name
// no operation: they are about the modem's one upgrade, the latest the manager ordered.
import type { VarbindValue } from 'net-snmp';
import { labelsOf, syntaxNumber } from '../../protocol/snmp/object-table.ts';
import { bufferValue, instanceOf, type Varbind } from '../../protocol/snmp/varbind.ts';
import type { FamilyNotification } from '../family.ts';
import { cableIfIndex, docsisNotificationObjects as objects, docsisNotifications } from './objects.ts';

export type UpgradeEvent = 'init' | 'fail' | 'success';

const names = {
  init: 'docsDevCmSwUpgradeInitNotif',
  fail: 'docsDevCmSwUpgradeFailNotif',
  success: 'docsDevCmSwUpgradeSuccessNotif',
} as const satisfies Record<UpgradeEvent, keyof typeof docsisNotifications>;

const level = labelsOf('docsDevEvLevel', objects.docsDevEvLevel);

/** What the notification says of the upgrade, besides which one it is. */
export interface UpgradeNotice {
  event: UpgradeEvent;
  /** The event log's row this notice was logged as. */
  eventIndex: number;
  text: string;
  fileName: string;
  /** IPv4 dotted; 0.0.0.0 when the server is not an IPv4 address. */
  server: string;
  macAddress: Buffer;
}

export function encodeUpgradeNotification(notice: UpgradeNotice): { name: string; oid: string; varbinds: Varbind[] } {
  const name = names[notice.event];
  const cell = (object: keyof typeof objects, instance: number, value: VarbindValue): Varbind => ({
    oid: `${objects[object].oid}.${instance}`,
    type: syntaxNumber(objects[object].syntax),
    value,
  });
  return {
    name,
    oid: docsisNotifications[name].oid,
    varbinds: [
      cell('docsDevEvLevel', notice.eventIndex, level.number(notice.event === 'fail' ? 'error' : 'notice')),
      // The event's identity: one per kind of notice, in the notification's own numbering.
      cell('docsDevEvId', notice.eventIndex, Number(docsisNotifications[name].oid.split('.').at(-1))),
      cell('docsDevEvText', notice.eventIndex, Buffer.from(notice.text.slice(0, 255), 'utf8')),
      cell('ifPhysAddress', cableIfIndex, notice.macAddress),
      cell('docsIfCmCmtsAddress', cableIfIndex, Buffer.alloc(6)),
      cell('docsDevSwFilename', 0, Buffer.from(notice.fileName, 'utf8')),
      cell('docsDevSwServer', 0, notice.server),
      cell('docsIfDocsisBaseCapability', 0, labelsOf('capability', objects.docsIfDocsisBaseCapability).number('docsis20')),
      cell('docsIfCmStatusDocsisOperMode', cableIfIndex, labelsOf('operMode', objects.docsIfCmStatusDocsisOperMode).number('docsis11')),
      cell('docsIfCmStatusModulationType', cableIfIndex, 0),
    ],
  };
}

const eventsByOid = new Map<string, UpgradeEvent>(Object.entries(names).map(([event, name]) => [docsisNotifications[name].oid, event as UpgradeEvent]));

/** The notification in the procedure's words; undefined when it is not a modem's upgrade notification. */
export function decodeUpgradeNotification(notificationOid: string, varbinds: readonly Varbind[]): FamilyNotification | undefined {
  const event = eventsByOid.get(notificationOid);
  if (!event) return undefined;
  const textCell = varbinds.find((v) => instanceOf(v.oid, objects.docsDevEvText.oid) !== undefined);
  let text = '';
  try {
    text = textCell ? bufferValue(textCell).toString('utf8') : '';
  } catch {
    // A text of the wrong type says nothing; the notification still says what happened.
  }
  if (event === 'init') return { kind: 'operationProgress', index: undefined, state: 'running', progress: 0 };
  if (event === 'success') return { kind: 'operationCompleted', index: undefined, state: 'successful', failCause: 'none', failMessage: '' };
  return { kind: 'operationCompleted', index: undefined, state: 'failed', failCause: 'unknown', failMessage: text || 'the modem reports the upgrade failed' };
}
