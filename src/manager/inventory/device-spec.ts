// A device as an operator writes it (command line, API body, a row of an import file), checked and
// turned into what the inventory stores. Every problem is reported at once, in the operator's terms.
import { agentDefaults } from '../../agent/defaults.ts';
import { familyNames, type FamilyName, isFamilyName } from '../../families/family.ts';
import { minimumKeyLength, type SnmpSecurity } from '../../protocol/snmp/security.ts';
import { transferProtocols, type TransferProtocol } from '../../protocol/transfer-contract.ts';
import { isTransport } from '../procedure/run-options.ts';
import type { NewDevice } from '../store/devices.ts';
import { AllowedNetworks } from './allowed-networks.ts';
import { formatAddress, parseAddress } from './cidr.ts';

export interface DeviceSpec {
  address?: unknown;
  port?: unknown;
  name?: unknown;
  tags?: unknown;
  v3User?: unknown;
  authKey?: unknown;
  privKey?: unknown;
  community?: unknown;
  /** The device's default transport for file transfers (tftp, ftp); empty: the manager's. */
  transport?: unknown;
  /** Which family drives it (src/families/); empty: what discovery recognises, else the reference IAD's. */
  family?: unknown;
}

export const deviceSpecFields = ['address', 'port', 'name', 'tags', 'v3User', 'authKey', 'privKey', 'community', 'transport', 'family'] as const;

/** The devices' SNMP port when none is given: the reference agent's (161 needs root). */
export const defaultDevicePort: number = agentDefaults.port;

/**
 * Credentials used when a spec names none: the reference agent's well-known laboratory user. Anywhere
 * that is not a laboratory, give a user or community.
 */
export const defaultDeviceSecurity: SnmpSecurity = {
  version: 'v3',
  user: { name: agentDefaults.user, authKey: agentDefaults.authKey, privKey: agentDefaults.privKey },
};

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const tagPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
const maxTags = 16;

export type SpecResult = { ok: true; device: NewDevice } | { ok: false; problems: string[] };

/** Why the manager cannot manage a device at `address`: not an address, or outside the allowed networks. */
export function addressProblem(address: string, allowed: AllowedNetworks): string | undefined {
  if (!parseAddress(address)) return `address must be an IPv4 or IPv6 address, got ${JSON.stringify(address)}`;
  if (!allowed.allows(address)) return allowed.refusal(`address ${address}`);
  return undefined;
}

/** `allowed`: the networks the manager may talk to; loopback only when not given. */
export function checkDeviceSpec(spec: DeviceSpec, allowed: AllowedNetworks = AllowedNetworks.loopback): SpecResult {
  const problems: string[] = [];
  const unknown = Object.keys(spec).filter((key) => !(deviceSpecFields as readonly string[]).includes(key));
  if (unknown.length > 0) problems.push(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);

  let address = '';
  if (typeof spec.address !== 'string' || spec.address === '') problems.push('address is missing');
  else {
    const problem = addressProblem(spec.address, allowed);
    if (problem) problems.push(problem);
    // One spelling per address (2001:db8::1, not 2001:0db8:0:0::1), so that names and lookups agree.
    const parsed = parseAddress(spec.address);
    address = parsed ? formatAddress(parsed) : spec.address;
  }

  let port = defaultDevicePort;
  if (spec.port !== undefined && spec.port !== '') {
    const n = typeof spec.port === 'string' ? Number(spec.port) : spec.port;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535)
      problems.push(`port must be an integer from 1 to 65535, got ${JSON.stringify(spec.port)}`);
    else port = n;
  }

  let name = port === defaultDevicePort ? address : address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
  if (spec.name !== undefined && spec.name !== '') {
    if (typeof spec.name !== 'string' || !namePattern.test(spec.name)) {
      problems.push(`name must be 1 to 64 letters, digits or . _ : - (starting with a letter or digit), got ${JSON.stringify(spec.name)}`);
    } else if (/^[0-9]+$/.test(spec.name)) {
      problems.push(`name ${spec.name} is all digits: it would read as a device id`);
    } else name = spec.name;
  }

  const tags = checkTags(spec.tags, problems);
  const security = checkSecurity(spec, problems);
  let transport: TransferProtocol | null = null;
  if (spec.transport !== undefined && spec.transport !== '') {
    if (isTransport(spec.transport)) transport = spec.transport;
    else problems.push(`transport must be ${transferProtocols.join(' or ')}, got ${JSON.stringify(spec.transport)}`);
  }
  let family: FamilyName | undefined;
  if (spec.family !== undefined && spec.family !== '') {
    if (isFamilyName(spec.family)) family = spec.family;
    else problems.push(`family must be one of ${familyNames.join(', ')}, got ${JSON.stringify(spec.family)}`);
  }
  if (problems.length > 0 || !security) return { ok: false, problems };
  return { ok: true, device: { name, address, port, security, tags, transport, ...(family ? { family } : {}) } };
}

function checkTags(value: unknown, problems: string[]): string[] {
  if (value === undefined || value === '') return [];
  const tags = typeof value === 'string' ? value.split(/[;\s]+/).filter(Boolean) : value;
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string')) {
    problems.push('tags must be a list of words');
    return [];
  }
  const bad = tags.filter((t: string) => !tagPattern.test(t));
  if (bad.length > 0) problems.push(`tags must be 1 to 32 letters, digits or . _ -, got ${bad.map((t) => JSON.stringify(t)).join(', ')}`);
  if (tags.length > maxTags) problems.push(`at most ${maxTags} tags, got ${tags.length}`);
  return [...new Set(tags as string[])];
}

function present(value: unknown): boolean {
  return value !== undefined && value !== '';
}

function checkSecurity(spec: DeviceSpec, problems: string[]): SnmpSecurity | undefined {
  const v3Given = [spec.v3User, spec.authKey, spec.privKey].some(present);
  if (present(spec.community)) {
    if (v3Given) {
      problems.push('give either an SNMPv3 user (v3User, authKey, privKey) or a v2c community, not both');
      return undefined;
    }
    if (typeof spec.community !== 'string' || spec.community.length > 64) {
      problems.push('community must be text of at most 64 characters');
      return undefined;
    }
    return { version: 'v2c', community: spec.community };
  }
  if (!v3Given) return defaultDeviceSecurity;
  const before = problems.length;
  if (typeof spec.v3User !== 'string' || spec.v3User === '' || spec.v3User.length > 32) problems.push('v3User must be a user name of 1 to 32 characters');
  for (const [field, key] of [
    ['authKey', spec.authKey],
    ['privKey', spec.privKey],
  ] as const) {
    if (typeof key !== 'string' || key.length < minimumKeyLength || key.length > 128) {
      problems.push(`${field} must be a pass phrase of ${minimumKeyLength} to 128 characters`);
    }
  }
  if (problems.length > before) return undefined;
  return { version: 'v3', user: { name: spec.v3User as string, authKey: spec.authKey as string, privKey: spec.privKey as string } };
}
