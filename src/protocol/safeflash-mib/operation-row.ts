// The operation row of SAFEFLASH-MIB (sfOpTable) in one place: the order a manager sends (one SET that
// creates the row), the row as the agent encodes it into cells, and the row as the manager reads it back.
// The agent's checks of an incoming SET (types, sizes, RowStatus rules) stay with the agent.
import type { VarbindValue } from 'net-snmp';
import type { Endpoint } from '../endpoint.ts';
import { oid } from '../mib.ts';
import { encodeDateAndTime, unsetDateAndTime } from '../snmp/date-and-time.ts';
import { integer, isException, numberValue, octets, unsigned, type Varbind } from '../snmp/varbind.ts';
import type { TransferProtocol } from '../transfer-contract.ts';
import type { Bank, FailCause, OperationState, OperationType } from '../vocabulary.ts';
import { display, enums, label, text } from './cells.ts';
import { byName } from './device-scalars.ts';
import { endpointCells, inetUnknown } from './inet-address.ts';

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

/**
 * What a manager orders: a request whose parameters it leaves out take the MIB's defaults (tftp, no
 * server, empty names and credentials, the device's own notify target).
 */
export type OperationOrder = Pick<OperationRequest, 'type'> & { [K in Exclude<keyof OperationRequest, 'type'>]?: NonNullable<OperationRequest[K]> } & {
  /**
   * The bank a reboot or revert is meant to boot. A family whose order names the image to boot (VRP's
   * reload schedule) orders exactly this one, so that the same order repeated after the device already
   * restarted boots the same bank again instead of the other one; SAFEFLASH-MIB devices boot the bank
   * the download marked and do not carry it.
   */
  bootBank?: Bank;
};

/** An operation row as the manager reads it back. */
export interface OperationReading {
  index: number;
  type: OperationType;
  state: OperationState;
  progress: number;
  failCause: FailCause;
  failMessage: string;
}

// ------------------------------------------------------------------ the order (manager -> agent)

/** The SET that orders operation `index`: every parameter given, then RowStatus createAndGo. */
export function orderVarbinds(index: number, order: OperationOrder): Varbind[] {
  const cell = (name: string) => `${oid(name)}.${index}`;
  const varbinds: Varbind[] = [
    integer(cell('sfOpType'), enums.opType.number(order.type)),
    integer(cell('sfOpProtocol'), enums.protocol.number(order.protocol ?? 'tftp')),
  ];
  const endpoint = (prefix: 'sfOpServer' | 'sfOpNotify', target: Endpoint) => {
    const cells = endpointCells(target);
    if (cells.type === inetUnknown) throw new Error(`${target.address} is not an IP address`);
    varbinds.push(
      integer(cell(`${prefix}AddressType`), cells.type),
      octets(cell(`${prefix}Address`), cells.address),
      unsigned(cell(`${prefix}Port`), cells.port),
    );
  };
  if (order.server) endpoint('sfOpServer', order.server);
  if (order.fileName !== undefined) varbinds.push(octets(cell('sfOpFileName'), order.fileName));
  if (order.username !== undefined) varbinds.push(octets(cell('sfOpUserName'), order.username));
  if (order.password !== undefined) varbinds.push(octets(cell('sfOpPassword'), order.password));
  if (order.notifyTarget) endpoint('sfOpNotify', order.notifyTarget);
  varbinds.push(integer(cell('sfOpRowStatus'), enums.rowStatus.number('createAndGo')));
  return varbinds;
}

// ------------------------------------------------------------------ the row (agent -> manager)

export function operationRowCells(op: Operation): Record<string, VarbindValue> {
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

const readColumns = ['sfOpType', 'sfOpState', 'sfOpProgress', 'sfOpFailCause', 'sfOpFailMessage'] as const;

export function operationReadingOids(index: number): string[] {
  return readColumns.map((name) => `${oid(name)}.${index}`);
}

/** The answer to operationReadingOids(index); undefined when the device has no such row. */
export function decodeOperationReading(index: number, varbinds: Varbind[]): OperationReading | undefined {
  if (varbinds.some(isException)) return undefined;
  const cells = byName(readColumns, varbinds);
  return {
    index,
    type: label(enums.opType, cells.sfOpType),
    state: label(enums.opState, cells.sfOpState),
    progress: numberValue(cells.sfOpProgress),
    failCause: label(enums.failCause, cells.sfOpFailCause),
    failMessage: text(cells.sfOpFailMessage),
  };
}
