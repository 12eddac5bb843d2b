// One SET request against SAFEFLASH-MIB, all or nothing: every varbind is checked (object, type,
// size, enumeration, consistency) before anything is changed; then at most one operation row is
// created (or re-confirmed), finished rows are destroyed, and the notify target is written.
import type { ProviderColumn, ScalarProvider } from 'net-snmp';
import { enums } from '../../protocol/safeflash-mib/cells.ts';
import type { SetResult } from '../../protocol/snmp/agent.ts';
import { isUnder, ObjectType, type Varbind } from '../../protocol/snmp/varbind.ts';
import { endpointProblems, maxOperationIndex } from '../operation-request.ts';
import { OperationRejected } from '../types.ts';
import type { OperationRequest } from '../../protocol/safeflash-mib/operation-row.ts';
import type { Endpoint } from '../../protocol/endpoint.ts';
import { cellsEndpoint, endpointCells, inetIpv4, type InetEndpointCells } from '../../protocol/safeflash-mib/inet-address.ts';
import type { ManagedDevice } from './managed-device.ts';
import { sfProviders, tableOfColumn } from '../../protocol/safeflash-mib/providers.ts';

const { rowStatus, opType, protocol } = enums;
const opTable = tableOfColumn('sfOpRowStatus');
const trapPort = 162;
/** Columns holding text that must be printable ASCII (DisplayString). */
const displayStrings = new Set(['sfOpFileName', 'sfOpUserName']);

type Refusal = Exclude<SetResult, { status: 'noError' }>;
type CellValue = number | Buffer;
interface Cell {
  value: CellValue;
  position: number;
}

class Refused extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.status);
  }
}

function refuse(status: Refusal['status'], position: number): never {
  throw new Refused({ status, index: position });
}

export function applySet(device: ManagedDevice, varbinds: Varbind[]): SetResult {
  try {
    const plan = planSet(device, varbinds);
    return executePlan(device, plan);
  } catch (error) {
    if (error instanceof Refused) return error.refusal;
    throw error;
  }
}

interface SetPlan {
  create: { index: number; request: OperationRequest; position: number } | undefined;
  destroy: number[];
  notifyTarget: { target: Endpoint | undefined } | undefined;
}

function planSet(device: ManagedDevice, varbinds: Varbind[]): SetPlan {
  const scalars = new Map<string, Cell>();
  const rows = new Map<number, Map<string, Cell>>();
  varbinds.forEach((varbind, position) => {
    const target = locate(varbind.oid, position);
    const value = checkValue(varbind, target.definition, position);
    if (target.row === undefined) {
      scalars.set(target.definition.name, { value, position });
    } else {
      const cells = rows.get(target.row) ?? new Map<string, Cell>();
      if (cells.has(target.definition.name)) refuse('inconsistentValue', position);
      cells.set(target.definition.name, { value, position });
      rows.set(target.row, cells);
    }
  });

  const plan: SetPlan = { create: undefined, destroy: [], notifyTarget: undefined };
  for (const [index, cells] of rows) {
    const status = cells.get('sfOpRowStatus');
    const existing = device.operation(index);
    const firstCell = [...cells.values()].sort((a, b) => a.position - b.position)[0]!;
    if (!status) {
      // Parameters of an existing operation never change; columns alone cannot create a row.
      refuse(existing ? 'inconsistentValue' : 'noCreation', firstCell.position);
    }
    const action = rowStatus.label(status.value as number);
    if (action === 'destroy') {
      const other = [...cells.entries()].find(([name]) => name !== 'sfOpRowStatus');
      if (other) refuse('inconsistentValue', other[1].position);
      if (existing && (existing.state === 'waiting' || existing.state === 'running')) refuse('inconsistentValue', status.position);
      if (existing) plan.destroy.push(index);
    } else if (action === 'createAndGo') {
      if (plan.create) refuse('resourceUnavailable', status.position);
      plan.create = { index, request: operationRequest(cells, status.position), position: status.position };
    } else if (action === 'active') {
      if (!existing) refuse('inconsistentValue', status.position);
      const other = [...cells.entries()].find(([name]) => name !== 'sfOpRowStatus');
      if (other) refuse('inconsistentValue', other[1].position);
    } else {
      // createAndWait and notInService are not supported (RFC 2579: wrongValue); notReady is never settable.
      refuse('wrongValue', status.position);
    }
  }
  if (scalars.size > 0) plan.notifyTarget = { target: notifyTarget(device, scalars) };
  return plan;
}

function executePlan(device: ManagedDevice, plan: SetPlan): SetResult {
  if (plan.create) {
    try {
      device.createOperation(plan.create.index, plan.create.request);
    } catch (error) {
      if (!(error instanceof OperationRejected)) throw error;
      const status = error.reason === 'busy' || error.reason === 'notAnswering' ? 'resourceUnavailable' : 'inconsistentValue';
      return { status, index: plan.create.position };
    }
  }
  for (const index of plan.destroy) device.destroyOperation(index);
  if (plan.notifyTarget) {
    // The new target is in force when the call returns; a failure to save it only loses it at a restart.
    Promise.resolve(device.setNotifyTarget(plan.notifyTarget.target)).catch(() => undefined);
  }
  return { status: 'noError' };
}

interface Located {
  definition: ScalarProvider | ProviderColumn;
  row: number | undefined;
}

/** Which writable object instance an OID names; refuses anything else. */
function locate(oid: string, position: number): Located {
  for (const provider of sfProviders) {
    if (provider.type === 1) {
      if (oid === `${provider.oid}.0`) {
        if (provider.maxAccess < 3) refuse('notWritable', position);
        return { definition: provider, row: undefined };
      }
      if (isUnder(oid, provider.oid) || oid === provider.oid) refuse('noCreation', position);
      continue;
    }
    if (!isUnder(oid, provider.oid)) continue;
    const [columnNumber, ...index] = oid
      .slice(provider.oid.length + 1)
      .split('.')
      .map(Number);
    const columnDef = provider.tableColumns.find((c) => c.number === columnNumber);
    if (!columnDef) refuse('noCreation', position);
    if (columnDef.maxAccess < 3) refuse('notWritable', position);
    const row = index[0];
    if (provider !== opTable || index.length !== 1 || row === undefined || !Number.isInteger(row) || row < 1 || row > maxOperationIndex) {
      refuse('noCreation', position);
    }
    return { definition: columnDef, row };
  }
  refuse('noCreation', position);
}

function checkValue(varbind: Varbind, definition: ScalarProvider | ProviderColumn, position: number): CellValue {
  const type = scalarOrColumnType(definition);
  if (varbind.type !== type) refuse('wrongType', position);
  const constraints = definition.constraints;
  if (type === ObjectType.OctetString) {
    if (!Buffer.isBuffer(varbind.value)) refuse('wrongType', position);
    const length = varbind.value.length;
    if (constraints?.sizes && !constraints.sizes.some(({ min, max }) => length >= min && length <= max)) refuse('wrongLength', position);
    if (displayStrings.has(definition.name) && [...varbind.value].some((b) => b < 0x20 || b > 0x7e)) refuse('wrongValue', position);
    return varbind.value;
  }
  if (typeof varbind.value !== 'number' || !Number.isInteger(varbind.value)) refuse('wrongType', position);
  const n = varbind.value;
  if (constraints?.enumeration && !(String(n) in constraints.enumeration)) refuse('wrongValue', position);
  if (constraints?.ranges && !constraints.ranges.some(({ min, max }) => n >= min && n <= max)) refuse('wrongValue', position);
  return n;
}

/** A scalar provider keeps its syntax in scalarType; a column (no scalarType) in type. */
function scalarOrColumnType(definition: ScalarProvider | ProviderColumn): number {
  return 'scalarType' in definition ? definition.scalarType : definition.type;
}

function operationRequest(cells: Map<string, Cell>, statusPosition: number): OperationRequest {
  const number = (name: string, fallback: number) => (cells.get(name)?.value as number | undefined) ?? fallback;
  const octets = (name: string) => (cells.get(name)?.value as Buffer | undefined) ?? Buffer.alloc(0);
  const typeCell = cells.get('sfOpType');
  if (!typeCell) refuse('inconsistentValue', statusPosition);
  const type = opType.label(typeCell.value as number)!;
  const server = endpointOf(
    cells,
    'sfOpServer',
    { type: number('sfOpServerAddressType', inetIpv4), address: octets('sfOpServerAddress'), port: number('sfOpServerPort', 0) },
    0,
  );
  const notifyTarget = endpointOf(
    cells,
    'sfOpNotify',
    { type: number('sfOpNotifyAddressType', endpointCells(undefined).type), address: octets('sfOpNotifyAddress'), port: number('sfOpNotifyPort', 0) },
    trapPort,
  );
  return {
    type,
    protocol: protocol.label(number('sfOpProtocol', protocol.number('tftp')))!,
    server,
    fileName: octets('sfOpFileName').toString('latin1'),
    username: octets('sfOpUserName').toString('latin1'),
    password: octets('sfOpPassword').toString('utf8'),
    notifyTarget,
  };
}

/** An address triple of a row; no address octets at all means "none". */
function endpointOf(cells: Map<string, Cell>, prefix: string, triple: InetEndpointCells, defaultPort: number): Endpoint | undefined {
  if (triple.address.length === 0 && triple.type === inetIpv4) return undefined;
  const endpoint = cellsEndpoint(triple, defaultPort);
  if (typeof endpoint === 'string') {
    const blame = cells.get(`${prefix}Address`) ?? cells.get(`${prefix}AddressType`)!;
    refuse('inconsistentValue', blame.position);
  }
  return endpoint;
}

function notifyTarget(device: ManagedDevice, scalars: Map<string, Cell>): Endpoint | undefined {
  const current = endpointCells(device.status().notifyTarget);
  const triple: InetEndpointCells = {
    type: (scalars.get('sfNotifyAddressType')?.value as number | undefined) ?? current.type,
    address: (scalars.get('sfNotifyAddress')?.value as Buffer | undefined) ?? current.address,
    port: (scalars.get('sfNotifyPort')?.value as number | undefined) ?? current.port,
  };
  const first = [...scalars.values()].sort((a, b) => a.position - b.position)[0]!;
  const endpoint = cellsEndpoint(triple, trapPort);
  if (typeof endpoint === 'string') refuse('inconsistentValue', (scalars.get('sfNotifyAddress') ?? first).position);
  if (endpoint && endpointProblems('notify target', endpoint).length > 0) refuse('wrongValue', (scalars.get('sfNotifyAddress') ?? first).position);
  return endpoint;
}
