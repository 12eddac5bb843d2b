// The device's state as SAFEFLASH-MIB values: every scalar, bank row and operation row, named by
// object. The agent serves them and the notifier puts them in notifications, so both say the same.
import type { VarbindValue } from 'net-snmp';
import { enumeration } from '../../protocol/mib.ts';
import { encodeDateAndTime, unsetDateAndTime } from '../../protocol/snmp/date-and-time.ts';
import type { BankStatus, DeviceStatus, Operation } from '../types.ts';
import { endpointCells } from './inet-address.ts';

const enums = {
  bank: enumeration('sfActiveBank'),
  bankState: enumeration('sfBankState'),
  truth: enumeration('sfRebootRequired'),
  bootCause: enumeration('sfLastBootCause'),
  opType: enumeration('sfOpType'),
  protocol: enumeration('sfOpProtocol'),
  opState: enumeration('sfOpState'),
  failCause: enumeration('sfOpFailCause'),
  rowStatus: enumeration('sfOpRowStatus'),
};

/** DisplayString (SIZE (0..n)): the device's text cut to what the MIB allows. */
function display(text: string, max: number): Buffer {
  const b = Buffer.from(text, 'utf8');
  return b.length <= max ? b : b.subarray(0, max);
}

export function deviceScalars(status: DeviceStatus): Record<string, VarbindValue> {
  const notify = endpointCells(status.notifyTarget);
  return {
    sfDeviceModel: display(status.model, 64),
    sfDeviceSerial: display(status.serial, 64),
    sfRunningVersion: display(status.runningVersion, 64),
    sfPreviousVersion: display(status.previousVersion, 64),
    sfActiveBank: enums.bank.number(status.activeBank),
    sfNextBootBank: enums.bank.number(status.nextBootBank),
    sfConfigFormat: status.configFormat,
    sfConfigDigest: status.configDigest,
    sfRebootRequired: enums.truth.number(status.rebootRequired ? 'true' : 'false'),
    sfLastBootCause: enums.bootCause.number(status.lastBootCause),
    sfBootTime: encodeDateAndTime(status.bootTime),
    sfNotifyAddressType: notify.type,
    sfNotifyAddress: notify.address,
    sfNotifyPort: notify.port,
  };
}

export function bankCells(bank: BankStatus): Record<string, VarbindValue> {
  return {
    sfBankIndex: enums.bank.number(bank.bank),
    sfBankState: enums.bankState.number(bank.state),
    sfBankVersion: display(bank.version, 64),
    sfBankConfigFormat: bank.configFormat,
    sfBankImageDigest: bank.imageDigest ?? Buffer.alloc(0),
  };
}

export function operationCells(op: Operation): Record<string, VarbindValue> {
  const server = endpointCells(op.request.server);
  const notify = endpointCells(op.request.notifyTarget);
  return {
    sfOpIndex: op.index,
    sfOpType: enums.opType.number(op.request.type),
    sfOpProtocol: enums.protocol.number(op.request.protocol),
    sfOpServerAddressType: server.type,
    sfOpServerAddress: server.address,
    sfOpServerPort: server.port,
    sfOpFileName: display(op.request.fileName, 255),
    sfOpUserName: display(op.request.username, 64),
    // Credentials are write-only: the MIB says the password reads back empty.
    sfOpPassword: Buffer.alloc(0),
    sfOpNotifyAddressType: notify.type,
    sfOpNotifyAddress: notify.address,
    sfOpNotifyPort: notify.port,
    sfOpState: enums.opState.number(op.state),
    sfOpProgress: Math.max(0, Math.min(100, Math.round(op.progress))),
    sfOpFailCause: enums.failCause.number(op.failCause),
    sfOpFailMessage: display(op.failMessage, 255),
    sfOpStartTime: encodeDateAndTime(op.startedAt),
    sfOpFinishTime: op.finishedAt ? encodeDateAndTime(op.finishedAt) : unsetDateAndTime(),
    // A row that exists is in service; net-snmp would otherwise echo createAndGo.
    sfOpRowStatus: enums.rowStatus.number('active'),
  };
}
