// A virtual DOCSIS cable modem: the device underneath is the agent's (banks, operations, faults, power),
// its face is RFC 4639's docsDevSoftware group. An upgrade from management is a download operation;
// after a good one the modem reboots by itself into the new software, and reports completeFromMgt once
// that runs (failed when the download failed or the new software fell back). A download cut short by a
// power cut is started again once the modem is back, as modems keep trying the file they were given.
import type { Endpoint } from '../../protocol/endpoint.ts';
import { addressOctets, octetsAddress } from '../../protocol/ip-address.ts';
import type { Operation, OperationRequest } from '../../protocol/safeflash-mib/operation-row.ts';
import { scalarProviderOf } from '../../protocol/snmp/object-table.ts';
import type { MibView } from '../../protocol/snmp/mib-view.ts';
import type { Varbind } from '../../protocol/snmp/varbind.ts';
import type { ManagedDevice } from '../../agent/snmp/managed-device.ts';
import type { DeviceFace, Personality } from '../../agent/snmp/personality.ts';
import { answerSet, refuse, scalarValues } from '../../agent/snmp/object-set.ts';
import { OperationRejected } from '../../agent/types.ts';
import { adminStatus, addressType, operStatus, transportProtocol, truth } from './driver.ts';
import { encodeUpgradeNotification, type UpgradeEvent } from './notifications.ts';
import { docsisScalars as objects, virtualModemObjectId } from './objects.ts';
import { formatSysDescr } from './sys-descr.ts';

export interface DocsisPersonalityOptions {
  /**
   * The port of the TFTP server: a modem always asks port 69, which a lab's file server on loopback may
   * not hold. Read at each download.
   */
  tftpPort?: () => number;
}

const providers = Object.entries(objects).map(([name, fact]) => scalarProviderOf(name, fact));
const swObjects = new Set<string>([
  'docsDevSwServer',
  'docsDevSwFilename',
  'docsDevSwAdminStatus',
  'docsDevSwServerAddressType',
  'docsDevSwServerAddress',
  'docsDevSwServerTransportProtocol',
]);

type AdminStatus = keyof typeof objects.docsDevSwAdminStatus.values;

/** The modem's upgrade as its operation table tells it: the latest download and the reboot after it. */
interface Upgrade {
  download: Operation;
  reboot: Operation | undefined;
}

export function docsisPersonality(options: DocsisPersonalityOptions = {}): Personality {
  return { family: 'docsis', face: (device) => new ModemFace(device, options) };
}

class ModemFace implements DeviceFace {
  readonly providers = providers;
  readonly sysObjectID = virtualModemObjectId;
  /** What the docsDevSw objects hold between SETs; taken from the latest upgrade when the modem starts. */
  #server: string | undefined;
  #fileName = '';
  #admin: AdminStatus = 'allowProvisioningUpgrade';
  #eventIndex = 0;
  readonly #onCompleted = (op: Operation) => this.#afterOperation(op);
  readonly #onBoot = () => this.#afterBoot();

  constructor(
    private readonly device: ManagedDevice,
    private readonly options: DocsisPersonalityOptions,
  ) {
    device.on('operationCompleted', this.#onCompleted);
    device.on('bootCompleted', this.#onBoot);
  }

  close(): void {
    this.device.off('operationCompleted', this.#onCompleted);
    this.device.off('bootCompleted', this.#onBoot);
  }

  sysDescr(status: { model: string; runningVersion: string }): string {
    return formatSysDescr('Safeflash virtual cable modem', {
      hardware: '1.0',
      vendor: 'Safeflash',
      bootRom: '1.0',
      software: status.runningVersion,
      model: status.model,
    });
  }

  refresh(view: MibView): void {
    const status = this.device.status();
    const upgrade = this.#upgrade();
    const server = this.#server ?? upgrade?.download.request.server?.address;
    const octets = server ? addressOctets(server) : undefined;
    view.setScalar('docsDevResetNow', truth.number('false'));
    view.setScalar('docsDevSerialNumber', Buffer.from(status.serial));
    view.setScalar('docsDevSwServer', octets?.length === 4 ? server! : '0.0.0.0');
    view.setScalar('docsDevSwFilename', Buffer.from(this.#fileName || (upgrade?.download.request.fileName ?? '')));
    view.setScalar('docsDevSwAdminStatus', adminStatus.number(this.#adminNow(upgrade)));
    view.setScalar('docsDevSwOperStatus', operStatus.number(operStatusOf(upgrade)));
    view.setScalar('docsDevSwCurrentVers', Buffer.from(status.runningVersion));
    view.setScalar('docsDevSwServerAddressType', addressType.number(!octets ? 'unknown' : octets.length === 4 ? 'ipv4' : 'ipv6'));
    view.setScalar('docsDevSwServerAddress', octets ?? Buffer.alloc(0));
    view.setScalar('docsDevSwServerTransportProtocol', transportProtocol.number('tftp'));
  }

  set(varbinds: Varbind[]): ReturnType<DeviceFace['set']> {
    return answerSet(() => {
      const values = scalarValues(objects, varbinds, { docsDevSwFilename: 64, docsDevSwServerAddress: 255 });
      const upgrade = this.#upgrade();
      // RFC 4639: while a download is in progress, none of the software objects may change.
      for (const [name, { position }] of values) if (swObjects.has(name) && operStatusOf(upgrade) === 'inProgress') refuse('inconsistentValue', position);
      let server = this.#server ?? upgrade?.download.request.server?.address;
      const type = values.get('docsDevSwServerAddressType');
      const address = values.get('docsDevSwServerAddress');
      if (address) {
        const wanted = type ? addressType.label(type.value as number) : undefined;
        const parsed = octetsAddress(address.value as Buffer);
        const length = (address.value as Buffer).length;
        if (!parsed || (wanted === 'ipv4' && length !== 4) || (wanted === 'ipv6' && length !== 16)) refuse('inconsistentValue', address.position);
        server = parsed;
      } else if (type && addressType.label(type.value as number) !== 'unknown') {
        refuse('inconsistentValue', type.position);
      }
      const legacy = values.get('docsDevSwServer');
      if (legacy) server = legacy.value as string;
      const protocol = values.get('docsDevSwServerTransportProtocol');
      // This modem has a TFTP client only.
      if (protocol && transportProtocol.label(protocol.value as number) !== 'tftp') refuse('wrongValue', protocol.position);
      const fileName = values.get('docsDevSwFilename');
      const admin = values.get('docsDevSwAdminStatus');
      const reset = values.get('docsDevResetNow');
      const start = admin && adminStatus.label(admin.value as number) === 'upgradeFromMgt';
      const name = fileName ? (fileName.value as Buffer).toString('utf8') : this.#fileName || (upgrade?.download.request.fileName ?? '');
      if (start && (!server || !name)) refuse('inconsistentValue', admin.position);
      if (start && reset && truth.label(reset.value as number) === 'true') refuse('inconsistentValue', reset.position);
      // Everything checked: apply.
      if (start) this.#startDownload(server!, name, admin.position);
      else if (reset && truth.label(reset.value as number) === 'true') this.#create({ type: 'reboot' }, reset.position);
      if (admin && !start) this.#admin = adminStatus.label(admin.value as number)!;
      this.#server = server;
      this.#fileName = name;
    });
  }

  progressNotification(op: Operation) {
    // A modem says when a download begins; it reports no progress after that.
    if (op.request.type !== 'downloadSoftware' || op.state !== 'running' || op.progress !== 0) return undefined;
    return this.#notice('init', op, `software download of ${op.request.fileName} started`);
  }

  completionNotification(op: Operation) {
    const upgrade = this.#upgrade();
    if (!upgrade) return undefined;
    if (op.index === upgrade.download.index && op.state === 'failed') return this.#notice('fail', op, `software download failed: ${op.failMessage}`);
    if (op.index !== upgrade.reboot?.index) return undefined;
    if (op.state === 'successful') return this.#notice('success', upgrade.download, `software upgrade to ${this.device.status().runningVersion} complete`);
    return this.#notice('fail', upgrade.download, `the new software did not start: ${op.failMessage}`);
  }

  bootNotification() {
    return undefined;
  }

  #notice(event: UpgradeEvent, download: Operation, text: string) {
    const status = this.device.status();
    const server = download.request.server?.address ?? '';
    return encodeUpgradeNotification({
      event,
      eventIndex: ++this.#eventIndex,
      text,
      fileName: download.request.fileName,
      server: addressOctets(server)?.length === 4 ? server : '0.0.0.0',
      macAddress: macAddressOf(status.serial),
    });
  }

  #adminNow(upgrade: Upgrade | undefined): AdminStatus {
    const oper = operStatusOf(upgrade);
    if (oper === 'inProgress') return 'upgradeFromMgt';
    // After an upgrade from management the modem ignores the provisioning file's software (RFC 4639).
    if (oper === 'completeFromMgt' && this.#admin === 'allowProvisioningUpgrade') return 'ignoreProvisioningUpgrade';
    return this.#admin;
  }

  #startDownload(server: string, fileName: string, position: number): void {
    const endpoint: Endpoint = { address: server, port: this.options.tftpPort?.() ?? 69 };
    this.#create({ type: 'downloadSoftware', server: endpoint, fileName }, position);
    this.#admin = 'ignoreProvisioningUpgrade';
  }

  #create(request: Pick<OperationRequest, 'type'> & Partial<OperationRequest>, position: number): void {
    try {
      this.device.createOperation(nextIndex(this.device), fullRequest(request));
    } catch (error) {
      if (error instanceof OperationRejected)
        refuse(error.reason === 'busy' ? 'resourceUnavailable' : error.reason === 'invalid' ? 'wrongValue' : 'genErr', position);
      throw error;
    }
  }

  /** After a good download the modem reboots into the new software. */
  #afterOperation(op: Operation): void {
    const upgrade = this.#upgrade();
    if (op.request.type !== 'downloadSoftware' || op.state !== 'successful' || op.index !== upgrade?.download.index || upgrade.reboot) return;
    setImmediate(() => this.#tryCreate({ type: 'reboot' }, upgrade.download.index + 1));
  }

  /** Back from a power cut: finish what the cut interrupted. */
  #afterBoot(): void {
    const upgrade = this.#upgrade();
    if (!upgrade || upgrade.reboot) return;
    const { download } = upgrade;
    if (download.state === 'successful') setImmediate(() => this.#tryCreate({ type: 'reboot' }, download.index + 1));
    else if (download.state === 'failed' && download.failCause === 'powerLoss') setImmediate(() => this.#tryCreate(download.request, nextIndex(this.device)));
  }

  #tryCreate(request: Pick<OperationRequest, 'type'> & Partial<OperationRequest>, index: number): void {
    try {
      this.device.createOperation(index, fullRequest(request));
    } catch {
      // Off again or busy: the next boot or the operator tries again.
    }
  }

  #upgrade(): Upgrade | undefined {
    const operations = this.device.operations();
    const download = operations.filter((op) => op.request.type === 'downloadSoftware').at(-1);
    if (!download) return undefined;
    const reboot = operations.find((op) => op.index === download.index + 1 && op.request.type === 'reboot');
    return { download, reboot };
  }
}

function operStatusOf(upgrade: Upgrade | undefined): keyof typeof objects.docsDevSwOperStatus.values {
  if (!upgrade) return 'other';
  const { download, reboot } = upgrade;
  // A download cut short by a power cut is tried again when the modem is back: not over yet.
  if (download.state === 'failed') return download.failCause === 'powerLoss' && !reboot ? 'inProgress' : 'failed';
  if (download.state !== 'successful' || !reboot || reboot.state === 'waiting' || reboot.state === 'running') return 'inProgress';
  return reboot.state === 'successful' ? 'completeFromMgt' : 'failed';
}

function fullRequest(request: Pick<OperationRequest, 'type'> & Partial<OperationRequest>): OperationRequest {
  return { protocol: 'tftp', server: undefined, fileName: '', username: '', password: '', notifyTarget: undefined, ...request };
}

function nextIndex(device: ManagedDevice): number {
  return Math.max(0, ...device.operations().map((op) => op.index)) + 1;
}

/** A locally administered MAC address made from the serial, stable across restarts. */
function macAddressOf(serial: string): Buffer {
  const mac = Buffer.alloc(6);
  mac[0] = 0x02;
  Buffer.from(serial).forEach((byte, i) => {
    mac[1 + (i % 5)] = (mac[1 + (i % 5)]! ^ byte) & 0xff;
  });
  return mac;
}
