// Inventory import files: CSV with a header row, or YAML (a list of devices, or `devices:` holding one).
// Every row is checked before anything is stored; one bad row rejects the whole file, naming each
// problem with its row, so that an import either adds every device or changes nothing.
import { createRequire } from 'node:module';
import { checkDeviceSpec, deviceSpecFields, type DeviceSpec } from './device-spec.ts';
import { AllowedNetworks } from './allowed-networks.ts';
import type { NewDevice } from '../store/devices.ts';

// Loaded when a YAML file is imported, not with the manager: the package is some eighty modules.
const yaml = (): typeof import('yaml') => createRequire(import.meta.url)('yaml');

export type ImportFormat = 'csv' | 'yaml';

export const maxImportBytes = 1024 * 1024;
export const maxImportRows = 10_000;

export class ImportError extends Error {
  override name = 'ImportError';
  constructor(readonly problems: string[]) {
    super(`import refused, nothing added: ${problems.length === 1 ? problems[0] : `${problems.length} problems: ${problems.join('; ')}`}`);
  }
}

/** Column and key names as people write them (v3_user, auth-key, AuthKey) mapped to spec fields. */
const fieldByKey = new Map<string, string>([
  ...deviceSpecFields.map((field) => [field.toLowerCase(), field] as [string, string]),
  ['user', 'v3User'],
  ['v3', 'v3User'],
  ['ip', 'address'],
  ['tag', 'tags'],
]);

function fieldFor(key: string): string {
  const normalised = key
    .trim()
    .toLowerCase()
    .replace(/[_\s-]/g, '');
  return fieldByKey.get(normalised) ?? key.trim();
}

export function importFormatOf(fileName: string): ImportFormat | undefined {
  if (/\.csv$/i.test(fileName)) return 'csv';
  if (/\.ya?ml$/i.test(fileName)) return 'yaml';
  return undefined;
}

/** The devices the file describes, or ImportError listing every problem (addresses outside `allowed` among them). */
export function parseImport(text: string, format: ImportFormat, allowed: AllowedNetworks = AllowedNetworks.loopback): NewDevice[] {
  if (Buffer.byteLength(text) > maxImportBytes) throw new ImportError([`the file is larger than ${maxImportBytes} bytes`]);
  const rows = format === 'csv' ? csvRows(text) : yamlRows(text);
  if (rows.length === 0) throw new ImportError(['the file lists no devices']);
  if (rows.length > maxImportRows) throw new ImportError([`the file lists ${rows.length} devices; at most ${maxImportRows} at once`]);
  const problems: string[] = [];
  const devices: NewDevice[] = [];
  const names = new Map<string, string>();
  const endpoints = new Map<string, string>();
  rows.forEach(({ line, spec, problem }) => {
    if (problem) {
      problems.push(`${line}: ${problem}`);
      return;
    }
    const checked = checkDeviceSpec(spec, allowed);
    if (!checked.ok) {
      problems.push(...checked.problems.map((p) => `${line}: ${p}`));
      return;
    }
    const { device } = checked;
    const endpoint = `${device.address}:${device.port}`;
    const sameName = names.get(device.name);
    const sameEndpoint = endpoints.get(endpoint);
    if (sameName !== undefined) problems.push(`${line}: name ${device.name} is also used by ${sameName}`);
    else if (sameEndpoint !== undefined) problems.push(`${line}: ${endpoint} is also listed by ${sameEndpoint}`);
    names.set(device.name, line);
    endpoints.set(endpoint, line);
    devices.push(device);
  });
  if (problems.length > 0) throw new ImportError(problems);
  return devices;
}

interface Row {
  /** Where the row is, as the operator sees the file: "line 3" or "entry 2". */
  line: string;
  spec: DeviceSpec;
  /** Set when the row is not even shaped like a device. */
  problem?: string;
}

function csvRows(text: string): Row[] {
  const records = parseCsv(text);
  const header = records.shift();
  if (!header) return [];
  const fields = header.cells.map(fieldFor);
  if (!fields.includes('address')) throw new ImportError([`line ${header.line}: the header row has no "address" column`]);
  return records
    .filter((r) => r.cells.some((c) => c.trim() !== ''))
    .map((record) => {
      if (record.cells.length > fields.length) {
        throw new ImportError([`line ${record.line}: ${record.cells.length} cells for ${fields.length} columns`]);
      }
      const spec: Record<string, unknown> = {};
      record.cells.forEach((cell, i) => {
        if (cell.trim() !== '') spec[fields[i]!] = cell.trim();
      });
      return { line: `line ${record.line}`, spec };
    });
}

/** RFC 4180 CSV: commas, double-quoted cells with "" for a quote, CRLF or LF line ends. */
function parseCsv(text: string): Array<{ line: number; cells: string[] }> {
  const records: Array<{ line: number; cells: string[] }> = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  const body = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (quoted) {
      if (c === '"' && body[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        cell += c;
      }
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && body[i + 1] === '\n') i++;
      cells.push(cell);
      records.push({ line: recordLine, cells });
      cells = [];
      cell = '';
      line++;
      recordLine = line;
    } else cell += c;
  }
  if (quoted) throw new ImportError([`line ${recordLine}: a quoted cell is not closed`]);
  if (cell !== '' || cells.length > 0) {
    cells.push(cell);
    records.push({ line: recordLine, cells });
  }
  return records;
}

function yamlRows(text: string): Row[] {
  let document: unknown;
  try {
    document = yaml().parse(text, { maxAliasCount: 0, uniqueKeys: true });
  } catch (error) {
    throw new ImportError([`not valid YAML: ${(error as Error).message.split('\n')[0]}`]);
  }
  const list = Array.isArray(document) ? document : isObject(document) && Array.isArray(document.devices) ? document.devices : undefined;
  if (!list) throw new ImportError(['the YAML file must be a list of devices, or hold one under "devices:"']);
  return list.map((entry: unknown, i: number) => {
    const line = `entry ${i + 1}`;
    if (!isObject(entry)) return { line, spec: {}, problem: 'must be a mapping of fields (address, port, name, ...)' };
    const spec: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(entry)) spec[fieldFor(key)] = typeof value === 'number' && fieldFor(key) !== 'port' ? String(value) : value;
    return { line, spec };
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
