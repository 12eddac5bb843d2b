// The inventory table: devices the manager may upgrade, with the credentials to reach them. Rows are
// added one at a time or all-or-nothing (imports), found by id, name or address, and updated with what
// the device said the last time it was read. Credentials are kept sealed with the manager's secrets
// key ({"sealed": "..."}, see store/secrets-key-check.ts): a copy of the database does not hold them.
// Every change an operator makes (an add, an import, a discovery's adds, a refresh, a removal) is
// recorded in device_events by the very statement that makes it, for the audit (store/audit.ts): a
// change never goes without its record, and a refused one (a clash, a device still in use) leaves none.
import { Batched, inAskedOrder } from './batched.ts';
import { inTransaction } from './transaction.ts';
import type pg from 'pg';
import type { DeviceReading } from '../../families/family.ts';
import type { SnmpSecurity } from '../../protocol/snmp/security.ts';
import type { Bank } from '../../protocol/vocabulary.ts';
import type { TransferProtocol } from '../../protocol/transfer-contract.ts';
import type { FamilyName } from '../../families/family.ts';
import type { Actor, DeviceBank, DeviceRecord } from './records.ts';
import type { DeviceEventAction } from './actions.ts';

/** A device as an operator describes it; the manager fills in the rest when it reads the device. */
export interface NewDevice {
  name: string;
  address: string;
  port: number;
  security: SnmpSecurity;
  tags: string[];
  /** Which family drives the device; absent: the reference IAD's (discovery names it from the device's answer). */
  family?: FamilyName;
  /** The device's default transport for file transfers; absent: the manager's. */
  transport?: TransferProtocol | null;
}

/** What the inventory needs of the secrets key (manager/secrets/secret-box.ts). */
export interface SecretSealer {
  seal(text: string): string;
  open(sealed: string): string;
}

/** The security column as stored: sealed, or as an earlier version kept it (sealed at the next start). */
export type StoredSecurity = { sealed: string } | SnmpSecurity;

export function isSealedSecurity(security: StoredSecurity): security is { sealed: string } {
  return typeof (security as { sealed?: unknown }).sealed === 'string';
}

export function sealSecurity(security: SnmpSecurity, secrets: SecretSealer | undefined): StoredSecurity {
  return secrets ? { sealed: secrets.seal(JSON.stringify(security)) } : security;
}

function openSecurity(stored: StoredSecurity, secrets: SecretSealer | undefined): SnmpSecurity {
  if (!isSealedSecurity(stored)) return stored;
  if (!secrets) throw new Error("the device's credentials are sealed with the manager's secrets key, and this store was given none");
  return JSON.parse(secrets.open(stored.sealed)) as SnmpSecurity;
}

/** A change's record: what was done, by whom, and what else the audit should say of it. */
interface DeviceEvent {
  action: DeviceEventAction;
  actor: Actor;
  /** Besides the device's id, name and address, which every record has. */
  detail?: Record<string, unknown>;
}

/** How a device came into the inventory (one by one; imports are addAll's), and who brought it. */
export interface DeviceAddition extends DeviceEvent {
  action: 'device.add' | 'device.discover';
}

/** The device already exists (same name, or same address and port). */
export class DeviceConflictError extends Error {
  override name = 'DeviceConflictError';
}

/** The device still has runs or backups on record; its history is kept, so it cannot be removed. */
export class DeviceInUseError extends Error {
  override name = 'DeviceInUseError';
}

interface DeviceRow {
  id: number;
  name: string;
  address: string;
  port: number;
  security: StoredSecurity;
  tags: string[];
  family: FamilyName;
  model: string | null;
  serial: string | null;
  running_version: string | null;
  config_format: number | null;
  active_bank: string | null;
  banks: DeviceBank[] | null;
  added_at: Date;
  last_seen_at: Date | null;
  transport: TransferProtocol | null;
}

const columns = `id, name, host(address) AS address, port, security, tags, family, model, serial, running_version, config_format,
  active_bank, banks, added_at, last_seen_at, transport`;

function toRecord(row: DeviceRow, secrets: SecretSealer | undefined): DeviceRecord {
  const record: Omit<DeviceRecord, 'security'> = {
    id: row.id,
    name: row.name,
    address: row.address,
    port: row.port,
    tags: row.tags,
    family: row.family,
    model: row.model,
    serial: row.serial,
    runningVersion: row.running_version,
    configFormat: row.config_format,
    activeBank: row.active_bank as Bank | null,
    banks: row.banks,
    addedAt: row.added_at,
    lastSeenAt: row.last_seen_at,
    transport: row.transport,
  };
  // Opened only when used: a store without the key (some tests') still reads everything else.
  let security: SnmpSecurity | undefined;
  return Object.defineProperty(record, 'security', {
    enumerable: true,
    get: () => (security ??= openSecurity(row.security, secrets)),
  }) as DeviceRecord;
}

/**
 * A common table expression that records the change to the rows `changed` returns (the devices
 * table's own columns), in the statement that changes them: it is written if and only if they are.
 * Parameters $first.. are the actor, the action and the detail (eventParameters); `facts` is an
 * expression over the row, a jsonb object the detail adds to (its nulls left out).
 */
function recordEvent(changed: string, first: number, facts = `'{}'::jsonb`): string {
  return `recorded AS (
       INSERT INTO safeflash.device_events (device_id, name, address, port, actor, action, detail)
       SELECT id, name, address, port, $${first}, $${first + 1}, jsonb_strip_nulls(${facts}) || $${first + 2}::jsonb FROM ${changed}
     )`;
}

function eventParameters(event: DeviceEvent): [Actor, DeviceEventAction, string] {
  return [event.actor, event.action, JSON.stringify(event.detail ?? {})];
}

const uniqueViolation = '23505';
const foreignKeyViolation = '23503';

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

export class DeviceStore {
  /** Devices read at the same moment (a campaign's tick starts many runs, each reads its device), in one statement. */
  readonly #reads = new Batched<number, DeviceRecord | undefined>((ids) => this.#getMany(ids));

  /** Without `secrets`, credentials are written in clear (tests' stores; the manager always gives its key). */
  constructor(
    private readonly pool: pg.Pool,
    private readonly secrets?: SecretSealer,
  ) {}

  async add(device: NewDevice, addition: DeviceAddition): Promise<DeviceRecord> {
    return insert(this.pool, device, this.secrets, addition);
  }

  /**
   * Adds every device or none: the first conflict rolls the whole batch back, records too. Each device
   * has its own record (see store/audit.ts for why), all of one time, saying how many came together.
   */
  async addAll(devices: NewDevice[], actor: Actor): Promise<DeviceRecord[]> {
    return inTransaction(this.pool, async (db) => {
      const added: DeviceRecord[] = [];
      const event: DeviceEvent = { action: 'device.import', actor, detail: { imported: devices.length } };
      for (const device of devices) added.push(await insert(db, device, this.secrets, event));
      return added;
    });
  }

  async list(): Promise<DeviceRecord[]> {
    const result = await this.pool.query<DeviceRow>(`SELECT ${columns} FROM safeflash.devices ORDER BY id`);
    return result.rows.map((row) => toRecord(row, this.secrets));
  }

  /** The device; without `db`, read by a statement that starts after the call, with the reads of other callers asking at once. */
  async get(id: number, db?: Queryable): Promise<DeviceRecord | undefined> {
    if (!Number.isSafeInteger(id) || id < 1 || id > 2 ** 31 - 1) return undefined;
    if (db === undefined) return this.#reads.run(id);
    const result = await db.query<DeviceRow>(`SELECT ${columns} FROM safeflash.devices WHERE id = $1`, [id]);
    return result.rows[0] ? toRecord(result.rows[0], this.secrets) : undefined;
  }

  async #getMany(ids: number[]): Promise<Array<DeviceRecord | undefined>> {
    const result = await this.pool.query<DeviceRow>(`SELECT ${columns} FROM safeflash.devices WHERE id = ANY($1::integer[])`, [[...new Set(ids)]]);
    return inAskedOrder(ids, result.rows, (row) => Number(row.id)).map((row) => row && toRecord(row, this.secrets));
  }

  /** The device an operator means by `reference`: its id, its name, or its address (when only one device has it). */
  async find(reference: string): Promise<DeviceRecord | undefined> {
    if (/^[0-9]+$/.test(reference)) {
      const byId = await this.get(Number(reference));
      if (byId) return byId;
    }
    const byName = await this.pool.query<DeviceRow>(`SELECT ${columns} FROM safeflash.devices WHERE name = $1`, [reference]);
    if (byName.rows[0]) return toRecord(byName.rows[0], this.secrets);
    const byAddress = await this.pool.query<DeviceRow>(`SELECT ${columns} FROM safeflash.devices WHERE host(address) = $1 ORDER BY id LIMIT 2`, [reference]);
    return byAddress.rows.length === 1 ? toRecord(byAddress.rows[0]!, this.secrets) : undefined;
  }

  async findByEndpoint(address: string, port: number): Promise<DeviceRecord | undefined> {
    const result = await this.pool.query<DeviceRow>(`SELECT ${columns} FROM safeflash.devices WHERE address = $1 AND port = $2`, [address, port]);
    return result.rows[0] ? toRecord(result.rows[0], this.secrets) : undefined;
  }

  /** Removes the device, recording who did and what it was; false when there was none. */
  async remove(id: number, actor: Actor): Promise<boolean> {
    try {
      const result = await this.pool.query<{ removed: number }>(
        `WITH removed AS (DELETE FROM safeflash.devices WHERE id = $1 RETURNING *),
              ${recordEvent('removed', 2, `jsonb_build_object('model', model, 'serial', serial, 'runningVersion', running_version)`)}
         SELECT count(*)::integer AS removed FROM removed`,
        [id, ...eventParameters({ action: 'device.remove', actor })],
      );
      return (result.rows[0]?.removed ?? 0) > 0;
    } catch (error) {
      if ((error as { code?: string }).code === foreignKeyViolation) {
        throw new DeviceInUseError(`device ${id} has runs or backups on record; they are kept, so the device stays in the inventory`);
      }
      throw error;
    }
  }

  /**
   * Records what the device reported when an operator asked it again (a refresh), and who asked;
   * undefined when the device is no longer in the inventory.
   */
  async recordRefresh(id: number, reading: DeviceReading, actor: Actor): Promise<DeviceRecord | undefined> {
    const result = await this.pool.query<DeviceRow>(
      `WITH refreshed AS (UPDATE safeflash.devices SET ${readingColumns} WHERE id = $1 RETURNING *),
            ${recordEvent('refreshed', 8, `jsonb_build_object('model', model, 'runningVersion', running_version)`)}
       SELECT ${columns} FROM refreshed`,
      [id, ...readingParameters(reading), ...eventParameters({ action: 'device.refresh', actor })],
    );
    return result.rows[0] ? toRecord(result.rows[0], this.secrets) : undefined;
  }

  /**
   * Records what the device reported when it was last read. With `unlessSeenWithinMs`, a reading
   * that changes nothing and comes that soon after the last one writes nothing (undefined): a run
   * reads its device several times a minute, and a write that changes nothing still costs a commit.
   */
  async recordReading(
    id: number,
    reading: DeviceReading,
    options: { unlessSeenWithinMs?: number } = {},
    db: Queryable = this.pool,
  ): Promise<DeviceRecord | undefined> {
    const result = await db.query<DeviceRow>(
      `UPDATE safeflash.devices
          SET ${readingColumns}
        WHERE id = $1
          AND ($8::integer IS NULL OR last_seen_at IS NULL OR last_seen_at < now() - make_interval(secs => $8::integer / 1000.0)
               OR (model, serial, running_version, config_format, active_bank, banks) IS DISTINCT FROM ($2, $3, $4, $5, $6, $7::jsonb))
    RETURNING ${columns}`,
      [id, ...readingParameters(reading), options.unlessSeenWithinMs ?? null],
    );
    return result.rows[0] ? toRecord(result.rows[0], this.secrets) : undefined;
  }
}

/** A reading's columns, from parameters $2 to $7 (readingParameters). */
const readingColumns = 'model = $2, serial = $3, running_version = $4, config_format = $5, active_bank = $6, banks = $7, last_seen_at = now()';

function readingParameters(reading: DeviceReading): unknown[] {
  return [reading.model, reading.serial, reading.runningVersion, reading.configFormat, reading.activeBank, JSON.stringify(reading.banks)];
}

async function insert(db: Queryable, device: NewDevice, secrets: SecretSealer | undefined, event: DeviceEvent): Promise<DeviceRecord> {
  try {
    const result = await db.query<DeviceRow>(
      `WITH added AS (
         INSERT INTO safeflash.devices (name, address, port, security, tags, transport, family)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING *
       ),
       ${recordEvent('added', 8, `jsonb_build_object('family', family, 'tags', to_jsonb(tags))`)}
       SELECT ${columns} FROM added`,
      [
        device.name,
        device.address,
        device.port,
        JSON.stringify(sealSecurity(device.security, secrets)),
        device.tags,
        device.transport ?? null,
        device.family ?? 'safeflash',
        ...eventParameters(event),
      ],
    );
    return toRecord(result.rows[0]!, secrets);
  } catch (error) {
    if ((error as { code?: string }).code === uniqueViolation) {
      const constraint = (error as { constraint?: string }).constraint ?? '';
      throw new DeviceConflictError(
        constraint.includes('name')
          ? `a device named "${device.name}" is already in the inventory`
          : `a device at ${device.address}:${device.port} is already in the inventory`,
      );
    }
    throw error;
  }
}
