// The operation table: rows managers created, kept in memory and saved to ops.json when a row is
// created, finishes or is destroyed (not on every progress step). After a power cut the device finds
// the rows that were under way and fails them with powerLoss, so a manager polling its row learns
// what happened instead of finding the row gone. Passwords never reach the disk: a row keeps a
// digest of its password to recognise a repeated request, and the plain password only while it may run.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readFileIfExists } from '../common/atomic-file.ts';
import { sameRequest } from './operation-request.ts';
import { SerialWriter } from './serial-writer.ts';
import type { Operation, OperationRequest } from '../protocol/safeflash-mib/operation-row.ts';

export interface OperationRecord {
  /** The row itself; request.password is always '' here. */
  row: Operation;
  /** The password to use while the operation runs; '' once reloaded from disk. */
  password: string;
  passwordDigest: string;
}

export const defaultMaxFinishedOperations = 32;

export class OperationTable {
  private readonly records = new Map<number, OperationRecord>();
  private readonly writer: SerialWriter;

  constructor(
    directory: string,
    private readonly maxFinished = defaultMaxFinishedOperations,
    flush = true,
  ) {
    this.path = join(directory, 'ops.json');
    this.writer = new SerialWriter(this.path, () => this.render(), flush);
  }

  readonly path: string;

  /** Loads the saved table; rows that were under way when the power went are failed with powerLoss. Returns those. */
  async load(now: Date): Promise<number[]> {
    this.records.clear();
    const text = await readFileIfExists(this.path);
    if (text === undefined) return [];
    let saved: SavedRecord[];
    try {
      saved = JSON.parse(text.toString('utf8')) as SavedRecord[];
      if (!Array.isArray(saved)) throw new Error('not a list');
    } catch {
      // ops.json is written atomically, so this is damage from outside; the table is history, not state.
      return [];
    }
    const interrupted: number[] = [];
    for (const item of saved) {
      const row = reviveRow(item);
      if (row.state === 'waiting' || row.state === 'running') {
        Object.assign(row, { state: 'failed', failCause: 'powerLoss', failMessage: 'the device lost power during the operation', finishedAt: now });
        interrupted.push(row.index);
      }
      this.records.set(row.index, { row, password: '', passwordDigest: item.passwordDigest });
    }
    if (interrupted.length > 0) await this.save();
    return interrupted;
  }

  get(index: number): OperationRecord | undefined {
    return this.records.get(index);
  }

  /** Rows in index order, as copies. */
  list(): Operation[] {
    return [...this.records.keys()].sort((a, b) => a - b).map((index) => copyRow(this.records.get(index)!.row));
  }

  /** The row that is waiting or running, if any: a device does one operation at a time. */
  active(): OperationRecord | undefined {
    return [...this.records.values()].find((record) => record.row.state === 'waiting' || record.row.state === 'running');
  }

  isSameRequest(record: OperationRecord, request: OperationRequest): boolean {
    return record.passwordDigest === digest(request.password) && sameRequest(record.row.request, { ...request, password: '' });
  }

  add(index: number, request: OperationRequest, now: Date): OperationRecord {
    const record: OperationRecord = {
      row: {
        index,
        request: copyRequest({ ...request, password: '' }),
        state: 'waiting',
        progress: 0,
        failCause: 'none',
        failMessage: '',
        startedAt: now,
        finishedAt: undefined,
      },
      password: request.password,
      passwordDigest: digest(request.password),
    };
    this.records.set(index, record);
    this.prune();
    return record;
  }

  remove(index: number): boolean {
    return this.records.delete(index);
  }

  /** Drops the oldest finished rows beyond the limit, then saves the table; resolves once it is on disk. */
  save(): Promise<void> {
    this.prune();
    return this.writer.write();
  }

  settled(): Promise<void> {
    return this.writer.settled();
  }

  private prune(): void {
    const finished = [...this.records.values()]
      .filter((record) => record.row.finishedAt !== undefined)
      .sort((a, b) => a.row.finishedAt!.getTime() - b.row.finishedAt!.getTime() || a.row.index - b.row.index);
    for (const record of finished.slice(0, Math.max(0, finished.length - this.maxFinished))) this.records.delete(record.row.index);
  }

  private render(): string {
    const saved: SavedRecord[] = [...this.records.values()].map((record) => ({
      ...record.row,
      startedAt: record.row.startedAt.toISOString(),
      finishedAt: record.row.finishedAt?.toISOString() ?? null,
      passwordDigest: record.passwordDigest,
    }));
    return `${JSON.stringify(saved, null, 1)}\n`;
  }
}

type SavedRecord = Omit<Operation, 'startedAt' | 'finishedAt'> & { startedAt: string; finishedAt: string | null; passwordDigest: string };

function reviveRow(item: SavedRecord): Operation {
  const { passwordDigest: _digest, ...row } = item;
  return {
    ...row,
    request: copyRequest(row.request),
    startedAt: new Date(item.startedAt),
    finishedAt: item.finishedAt === null ? undefined : new Date(item.finishedAt),
  };
}

export function copyRow(row: Operation): Operation {
  return { ...row, request: copyRequest(row.request), startedAt: new Date(row.startedAt), finishedAt: row.finishedAt && new Date(row.finishedAt) };
}

function copyRequest(request: OperationRequest): OperationRequest {
  return {
    ...request,
    server: request.server && { ...request.server },
    notifyTarget: request.notifyTarget && { ...request.notifyTarget },
  };
}

function digest(password: string): string {
  return createHash('sha256').update(password).digest('hex');
}
