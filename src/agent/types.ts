// The device as the rest of the agent sees it: what it reports and what it can be asked to do.
// Its words are SAFEFLASH-MIB's (src/protocol/vocabulary.ts); the SNMP layer maps them to the MIB's numbers.
import type { Endpoint } from '../protocol/endpoint.ts';
import type { TransferProtocol } from '../protocol/transfer-contract.ts';
import type { Bank, BankState, BootCause, FailCause, OperationState, OperationType } from '../protocol/vocabulary.ts';

/** What a manager asks for when it creates an operation row. */
export interface OperationRequest {
  type: OperationType;
  protocol: TransferProtocol;
  /** The file server; port 0 means the protocol's well-known port. Unused by reboot and revertSoftware. */
  server: Endpoint | undefined;
  fileName: string;
  username: string;
  password: string;
  /** Where this operation's notifications go; undefined means the device's configured target. */
  notifyTarget: Endpoint | undefined;
}

/** One row of the operation table. */
export interface Operation {
  index: number;
  request: OperationRequest;
  state: OperationState;
  progress: number;
  failCause: FailCause;
  failMessage: string;
  startedAt: Date;
  finishedAt: Date | undefined;
}

export interface BankStatus {
  bank: Bank;
  state: BankState;
  version: string;
  /** The configuration format the software in this bank expects; 0 when empty. */
  configFormat: number;
  /** SHA-256 of the image payload; undefined when empty. */
  imageDigest: Buffer | undefined;
}

export interface DeviceStatus {
  model: string;
  serial: string;
  runningVersion: string;
  /** Version in the other bank when it holds a valid image, else ''. */
  previousVersion: string;
  activeBank: Bank;
  nextBootBank: Bank;
  /** Format of the running configuration. */
  configFormat: number;
  /** SHA-256 of the running configuration's canonical text. */
  configDigest: Buffer;
  rebootRequired: boolean;
  lastBootCause: BootCause;
  bootTime: Date;
  banks: BankStatus[];
  notifyTarget: Endpoint | undefined;
}

/** Events a device emits for the SNMP layer to turn into notifications. */
export interface DeviceEvents {
  operationProgress: [operation: Operation];
  operationCompleted: [operation: Operation];
  bootCompleted: [status: DeviceStatus];
}

/** Why a device refused to create an operation row (the SET fails; nothing changes). */
export type OperationRejection = 'busy' | 'invalid' | 'exists' | 'notAnswering';

export class OperationRejected extends Error {
  constructor(
    readonly reason: OperationRejection,
    message: string,
  ) {
    super(message);
    this.name = 'OperationRejected';
  }
}
