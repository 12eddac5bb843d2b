// Sections that formats 1 and 2 write identically: management, network and customer data.
import { optional, repeated, required, single, type Problem } from './schema.ts';
import { flag, host, hostPort, integer, ipv4, ipv4Interface, listOf, oneOf, text } from './values.ts';

export interface SystemSection {
  hostname: string;
  location?: string;
  contact?: string;
  /** IANA zone name ("Europe/Berlin") or "UTC". */
  timezone: string;
  syslog_server?: string;
}

/** How the operator reaches the unit: its own VLAN and address, and which services listen there. */
export interface ManagementSection {
  vlan: number;
  address: string;
  gateway: string;
  web_ui: boolean;
  ssh: boolean;
}

export interface SnmpSection {
  enabled: boolean;
  version: 'v2c' | 'v3';
  community?: string;
  user?: string;
  auth_password?: string;
  priv_password?: string;
  trap_target?: string;
}

export interface NtpSection {
  servers: string[];
}

export interface CustomerSection {
  name: string;
  id: string;
  contract?: string;
}

export interface UserEntry {
  name: string;
  role: 'admin' | 'operator' | 'viewer';
  password_hash: string;
}

export interface VlanEntry {
  purpose: 'voice' | 'data';
  id: number;
  priority: number;
}

export interface WanSection {
  mode: 'dhcp' | 'pppoe' | 'static';
  /** 802.1Q tag the access line wants (many carriers tag internet traffic, e.g. VLAN 7). */
  vlan?: number;
  pppoe_user?: string;
  pppoe_password?: string;
  address?: string;
  gateway?: string;
  dns?: string[];
  mtu: number;
}

export interface LanSection {
  address: string;
  dhcp_server: boolean;
  dhcp_start?: string;
  dhcp_end?: string;
}

export interface QosSection {
  enabled: boolean;
  voice_dscp: number;
  signalling_dscp: number;
  uplink_kbps?: number;
}

export const maxFxsPorts = 24;
/** Line gain in dB. */
export const gain = integer(-12, 12);
export const rtpPort = integer(1024, 65535);
const vlanId = integer(1, 4094);
const secret = text({ max: 64 });
const passwordHash = text({ max: 160, pattern: /^\$(sha256|sha512)\$[./A-Za-z0-9]{8,32}\$[0-9a-f]{64,128}$/, describe: 'a password hash ($sha256$salt$hex)' });
const timezone = text({
  max: 48,
  pattern: /^(UTC|[A-Z][A-Za-z_-]+(\/[A-Z][A-Za-z0-9_+-]+){1,2})$/,
  describe: 'an IANA time zone such as Europe/Berlin, or UTC',
});

export const systemSpec = single<SystemSection>('system', {
  hostname: required(text({ max: 63, pattern: /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/, describe: 'a host name label (letters, digits, "-")' })),
  location: optional(text({ max: 128 })),
  contact: optional(text({ max: 128 })),
  timezone: required(timezone, { default: 'UTC' }),
  syslog_server: optional(hostPort),
});

export const managementSpec = single<ManagementSection>('management', {
  vlan: required(vlanId),
  address: required(ipv4Interface),
  gateway: required(ipv4),
  web_ui: required(flag, { default: true }),
  ssh: required(flag, { default: true }),
});

export const snmpSpec = single<SnmpSection>('snmp', {
  enabled: required(flag, { default: true }),
  version: required(oneOf(['v2c', 'v3']), { default: 'v3' }),
  community: optional(secret, { secret: true }),
  user: optional(text({ max: 32, pattern: /^[A-Za-z0-9._-]+$/ })),
  auth_password: optional(secret, { secret: true }),
  priv_password: optional(secret, { secret: true }),
  trap_target: optional(hostPort),
});

export const ntpSpec = single<NtpSection>('ntp', {
  servers: required(listOf(host, { max: 4, distinctBy: (server) => server }), { default: ['0.pool.ntp.org', '1.pool.ntp.org'] }),
});

export const customerSpec = single<CustomerSection>('customer', {
  name: required(text({ max: 128 })),
  id: required(text({ max: 32, pattern: /^[A-Z0-9][A-Z0-9-]*$/, describe: 'a customer id (upper-case letters, digits, "-")' })),
  contract: optional(text({ max: 64 })),
});

export const userSpec = repeated<UserEntry, 'name'>({
  title: 'user',
  labelField: 'name',
  label: text({ max: 32, pattern: /^[a-z_][a-z0-9_-]*$/, describe: 'a user name (lower-case letters, digits, "_", "-")' }),
  keys: {
    role: required(oneOf(['admin', 'operator', 'viewer'])),
    password_hash: required(passwordHash, { secret: true }),
  },
  min: 1,
  max: 16,
});

export const vlanSpec = repeated<VlanEntry, 'purpose'>({
  title: 'vlan',
  labelField: 'purpose',
  label: oneOf(['voice', 'data']),
  keys: { id: required(vlanId), priority: required(integer(0, 7)) },
  min: 2,
  max: 2,
});

export const wanSpec = single<WanSection>('wan', {
  mode: required(oneOf(['dhcp', 'pppoe', 'static']), { default: 'dhcp' }),
  vlan: optional(vlanId),
  pppoe_user: optional(text({ max: 128 })),
  pppoe_password: optional(secret, { secret: true }),
  address: optional(ipv4Interface),
  gateway: optional(ipv4),
  dns: optional(listOf(ipv4, { max: 3, distinctBy: (server) => server })),
  mtu: required(integer(576, 1500), { default: 1500 }),
});

export const lanSpec = single<LanSection>('lan', {
  address: required(ipv4Interface, { default: '192.168.1.1/24' }),
  dhcp_server: required(flag, { default: true }),
  dhcp_start: optional(ipv4),
  dhcp_end: optional(ipv4),
});

export const qosSpec = single<QosSection>('qos', {
  enabled: required(flag, { default: true }),
  voice_dscp: required(integer(0, 63), { default: 46 }),
  signalling_dscp: required(integer(0, 63), { default: 26 }),
  uplink_kbps: optional(integer(64, 10_000_000)),
});

export interface SharedSections {
  management: ManagementSection;
  snmp: SnmpSection;
  users: UserEntry[];
  vlans: VlanEntry[];
  wan: WanSection;
  lan: LanSection;
}

/** The sections both formats open with, in their order; each format's own sections follow them. */
export const leadingSections = { system: systemSpec, management: managementSpec, snmp: snmpSpec, ntp: ntpSpec, customer: customerSpec, users: userSpec };
/** The sections both formats close with, in their order. */
export const closingSections = { vlans: vlanSpec, wan: wanSpec, lan: lanSpec, qos: qosSpec };

/** Checks across keys of the shared sections. */
export function sharedRules(config: SharedSections): Problem[] {
  const problems: Problem[] = [];
  const { snmp, wan, lan } = config;
  if (snmp.enabled && snmp.version === 'v2c' && snmp.community === undefined) {
    problems.push({ section: 'snmp', key: 'community', message: 'required when version is v2c' });
  }
  if (snmp.enabled && snmp.version === 'v3') {
    for (const key of ['user', 'auth_password', 'priv_password'] as const) {
      if (snmp[key] === undefined) problems.push({ section: 'snmp', key, message: 'required when version is v3' });
    }
    for (const key of ['auth_password', 'priv_password'] as const) {
      const value = snmp[key];
      if (value !== undefined && value.length < 8) problems.push({ section: 'snmp', key, message: 'SNMPv3 passwords have at least 8 characters' });
    }
  }
  if (!config.users.some((user) => user.role === 'admin')) {
    problems.push({ section: 'user', message: 'at least one user must have role admin, or nobody can manage the unit' });
  }
  const [first, second] = config.vlans;
  if (first && second && first.id === second.id) {
    problems.push({ section: 'vlan voice', key: 'id', message: `voice and data must be different VLANs (both ${first.id})` });
  }
  const modeKeys: Record<WanSection['mode'], Array<keyof WanSection>> = {
    dhcp: [],
    pppoe: ['pppoe_user', 'pppoe_password'],
    static: ['address', 'gateway', 'dns'],
  };
  for (const [mode, keys] of Object.entries(modeKeys)) {
    for (const key of keys) {
      if (mode === wan.mode && wan[key] === undefined) problems.push({ section: 'wan', key, message: `required when mode is ${mode}` });
      if (mode !== wan.mode && wan[key] !== undefined) problems.push({ section: 'wan', key, message: `only used when mode is ${mode}` });
    }
  }
  if (wan.mode === 'pppoe' && wan.mtu > 1492) {
    problems.push({ section: 'wan', key: 'mtu', message: `PPPoE leaves at most 1492 bytes, not ${wan.mtu}` });
  }
  if (lan.dhcp_server) {
    for (const key of ['dhcp_start', 'dhcp_end'] as const) {
      const address = lan[key];
      if (address === undefined) problems.push({ section: 'lan', key, message: 'required when dhcp_server is yes' });
      else if (!inSubnet(address, lan.address)) problems.push({ section: 'lan', key, message: `${address} is outside the LAN ${lan.address}` });
    }
    if (lan.dhcp_start !== undefined && lan.dhcp_end !== undefined && ipv4Number(lan.dhcp_start) > ipv4Number(lan.dhcp_end)) {
      problems.push({ section: 'lan', key: 'dhcp_end', message: `the DHCP range ends (${lan.dhcp_end}) before it starts (${lan.dhcp_start})` });
    }
  }
  return problems;
}

function ipv4Number(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function inSubnet(address: string, network: string): boolean {
  const [base = '', prefix = '32'] = network.split('/');
  const size = 2 ** (32 - Number(prefix));
  return Math.floor(ipv4Number(address) / size) === Math.floor(ipv4Number(base) / size);
}

/** Problems common to the FXS port sections of every format: a number rings on one port only. */
export function duplicateNumbers(ports: ReadonlyArray<{ port: number; number?: string }>, title: string): Problem[] {
  const seen = new Map<string, number>();
  const problems: Problem[] = [];
  for (const { port, number } of ports) {
    if (number === undefined) continue;
    const other = seen.get(number);
    if (other !== undefined) problems.push({ section: `${title} ${port}`, key: 'number', message: `${number} is already the number of ${title} ${other}` });
    else seen.set(number, port);
  }
  return problems;
}

/** Timer and port-range checks of the [sip] section, whose key names differ between formats. */
export function sipTimingProblems(t1: number, t2: number, sip: { rtp_port_min: number; rtp_port_max: number }, t1Key: string, t2Key: string): Problem[] {
  const problems: Problem[] = [];
  if (t1 >= t2) problems.push({ section: 'sip', key: t2Key, message: `must be longer than ${t1Key} (${t1} ms)` });
  if (sip.rtp_port_min >= sip.rtp_port_max) {
    problems.push({ section: 'sip', key: 'rtp_port_max', message: `must be above rtp_port_min (${sip.rtp_port_min})` });
  }
  return problems;
}
