// The manager's side of a DOCSIS modem (RFC 4639 docsDevSoftware): an upgrade is ordered by writing the
// server, the file name and upgradeFromMgt in one SET; the modem downloads, reboots by itself into the
// new software and then reports completeFromMgt. It has one upgrade at a time and no operation rows, so
// the manager's operation index maps onto "the modem's upgrade" and a repeated order is recognised by
// its file name (every name the manager hands out is single-use).
import { addressOctets } from '../../protocol/ip-address.ts';
import type { OperationOrder, OperationReading } from '../../protocol/safeflash-mib/operation-row.ts';
import { SnmpError } from '../../protocol/snmp/errors.ts';
import { labelsOf } from '../../protocol/snmp/object-table.ts';
import { systemObjects } from '../../protocol/snmp/system-group.ts';
import { bufferValue, integer, isException, numberValue, octets, type Varbind } from '../../protocol/snmp/varbind.ts';
import type { OperationType } from '../../protocol/vocabulary.ts';
import { type DeviceReading, type DeviceSession, type FamilyDriver, UnsupportedOrder, type DeviceCondition } from '../family.ts';
import { docsisScalars as objects } from './objects.ts';
import { parseSysDescr } from './sys-descr.ts';
import { portsOnly } from '../condition.ts';

export const adminStatus = labelsOf('docsDevSwAdminStatus', objects.docsDevSwAdminStatus);
export const operStatus = labelsOf('docsDevSwOperStatus', objects.docsDevSwOperStatus);
export const addressType = labelsOf('docsDevSwServerAddressType', objects.docsDevSwServerAddressType);
export const transportProtocol = labelsOf('docsDevSwServerTransportProtocol', objects.docsDevSwServerTransportProtocol);
export const truth = labelsOf('docsDevResetNow', objects.docsDevResetNow);

const at = (object: { oid: string }) => `${object.oid}.0`;

export class DocsisDriver implements FamilyDriver {
  constructor(private readonly session: DeviceSession) {}

  /** Its ports (IF-MIB); its vendor objects tell nothing of calls, lines, alarms or bank room that the checks use. */
  readCondition(): Promise<DeviceCondition> {
    return portsOnly(this.session);
  }

  async read(): Promise<DeviceReading> {
    const [descr, serial, version] = await this.#get([`${systemObjects.sysDescr.oid}.0`, at(objects.docsDevSerialNumber), at(objects.docsDevSwCurrentVers)]);
    const description = parseSysDescr(text(descr!));
    if (!description?.model) throw new SnmpError('invalidResponse', 'the sysDescr names no MODEL: not a DOCSIS modem');
    return {
      model: description.model,
      serial: text(serial!),
      runningVersion: text(version!),
      // A modem shows neither its banks nor its configuration: what it runs is told by its version.
      previousVersion: '',
      activeBank: null,
      nextBootBank: null,
      configFormat: null,
      configDigest: null,
      rebootRequired: false,
      lastBootCause: null,
      banks: [],
    };
  }

  async startOperation(_index: number, order: OperationOrder): Promise<void> {
    if (order.type === 'reboot') {
      await this.session.set([integer(at(objects.docsDevResetNow), truth.number('true'))]);
      return;
    }
    if (order.type !== 'downloadSoftware') throw new UnsupportedOrder(`a DOCSIS modem cannot ${order.type} over SNMP`);
    if (order.protocol === 'ftp') throw new UnsupportedOrder('a DOCSIS modem fetches its software over TFTP (or HTTP), not FTP');
    const server = order.server && addressOctets(order.server.address);
    if (!server || !order.fileName) throw new UnsupportedOrder('a modem upgrade needs a server address and a file name');
    const now = await this.#upgrade();
    // The same order again (a replayed step): the modem is on it, or has done it.
    if (now.fileName === order.fileName && (now.status === 'inProgress' || now.status === 'completeFromMgt')) return;
    if (now.status === 'inProgress') throw new SnmpError('errorStatus', `the modem is upgrading to ${now.fileName}`, 'resourceUnavailable');
    await this.session.set([
      integer(at(objects.docsDevSwServerAddressType), addressType.number(server.length === 4 ? 'ipv4' : 'ipv6')),
      octets(at(objects.docsDevSwServerAddress), server),
      octets(at(objects.docsDevSwFilename), order.fileName),
      integer(at(objects.docsDevSwServerTransportProtocol), transportProtocol.number('tftp')),
      integer(at(objects.docsDevSwAdminStatus), adminStatus.number('upgradeFromMgt')),
    ]);
  }

  async readOperation(index: number, type: OperationType): Promise<OperationReading | undefined> {
    if (type === 'reboot') return { index, type, state: 'successful', progress: 100, failCause: 'none', failMessage: '' };
    if (type !== 'downloadSoftware') return undefined;
    const now = await this.#upgrade();
    const reading = { index, type, progress: 0, failCause: 'none', failMessage: '' } as const;
    switch (now.status) {
      case 'inProgress':
        return { ...reading, state: 'running' };
      case 'completeFromMgt':
        return { ...reading, state: 'successful', progress: 100 };
      case 'failed':
        return { ...reading, state: 'failed', failCause: 'unknown', failMessage: `the modem reports the upgrade to ${now.fileName} failed` };
      default:
        // No upgrade from management on record (other, or one from provisioning): ours is gone.
        return undefined;
    }
  }

  async #upgrade(): Promise<{ status: string | undefined; fileName: string }> {
    const [status, fileName] = await this.#get([at(objects.docsDevSwOperStatus), at(objects.docsDevSwFilename)]);
    return { status: operStatus.label(numberValue(status!)), fileName: text(fileName!) };
  }

  async #get(oids: string[]): Promise<Varbind[]> {
    const varbinds = await this.session.get(oids);
    const missing = oids.findIndex((_, i) => !varbinds[i] || isException(varbinds[i]!));
    if (missing >= 0) throw new SnmpError('invalidResponse', `the device does not have ${oids[missing]}: not a DOCSIS modem`);
    return varbinds;
  }
}

function text(varbind: Varbind): string {
  return bufferValue(varbind).toString('utf8');
}
