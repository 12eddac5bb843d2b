// Believable customer configurations for virtual devices: each unit gets its own numbers, accounts and
// addresses from its serial (and an optional seed), the same ones every time.
import { createHash } from 'node:crypto';
import type { CodecV1, DeviceConfigV1, FxsPortV1, SipV1 } from './format1.ts';
import { formatV1 } from './format1.ts';
import type { DeviceConfigV2, FxsPortV2, SipAccountV2, SipV2 } from './format2.ts';
import { codecNameFromV1, dtmfModeFromV1, formatV2 } from './format2.ts';
import type { KeySpec } from './schema.ts';
import type {
  CustomerSection,
  LanSection,
  ManagementSection,
  NtpSection,
  QosSection,
  SnmpSection,
  SystemSection,
  UserEntry,
  VlanEntry,
  WanSection,
} from './shared-sections.ts';

export interface FactoryOptions {
  model: string;
  serial: string;
  format: number;
  seed?: number;
}

/** FXS ports per known model; other models get the common four. */
const fxsPortsByModel: Record<string, number> = { 'IAD-800': 2, 'IAD-2400': 4, 'IAD-4800': 8 };

const customers = [
  'Bäckerei Albers GmbH',
  'Kanzlei Roth & Partner',
  'Praxis Dr. Yilmaz',
  'Autohaus Nordring KG',
  'Hotel Seeblick',
  'Ingenieurbüro Kranz',
  'Café Lindenhof',
  'Steuerbüro Weiß',
];
const cities = ['Berlin, Friedrichstr. 12', 'Hamburg, Am Sandtorkai 5', 'Köln, Ehrenstr. 40', 'Leipzig, Karl-Liebknecht-Str. 9', 'München, Sendlinger Str. 3'];
const areaCodes = ['30', '40', '221', '341', '89'];
const providers = ['voip.example.net', 'sip.example.com', 'tel.example.org'];

/** Deterministic numbers from the unit's identity, so a fleet is the same fleet on every run. */
function randomFor(seedText: string): {
  int(below: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
  secret(length: number): string;
} {
  let state = createHash('sha256').update(seedText).digest().readUInt32BE(0);
  const next = (): number => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (below: number): number => Math.floor(next() * below);
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  return {
    int,
    pick: (items) => items[int(items.length)]!,
    chance: (p) => next() < p,
    secret: (length) => Array.from({ length }, () => alphabet[int(alphabet.length)]).join(''),
  };
}

/** Fills the keys the customer did not set with their defaults and records them as defaulted. */
class Defaults {
  readonly defaulted: string[] = [];
  fill<T>(section: string, keys: Record<string, KeySpec<unknown>>, set: Partial<T>): T {
    const entry: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(keys)) {
      const value = (set as Record<string, unknown>)[key];
      if (value !== undefined) entry[key] = value;
      else if (spec.default !== undefined) {
        entry[key] = structuredClone(spec.default);
        this.defaulted.push(`${section}.${key}`);
      }
    }
    return entry as T;
  }
}

/** What one port is used for, in words both formats can express. */
interface PortFacts {
  port: number;
  enabled: boolean;
  number?: string;
  user?: string;
  password?: string;
  displayName?: string;
  /** Set when the customer changed the codec list (a fax line wants G.711 only). */
  codecs?: CodecV1[];
  echoCancel?: boolean;
  txGain?: number;
}

interface SipFacts {
  registrar: string;
  proxy?: string;
  outboundProxy?: string;
  transport?: SipV1['transport'];
  registerExpires?: number;
  dtmf?: SipV1['dtmf'];
}

export function factoryConfig(options: FactoryOptions): DeviceConfigV1 | DeviceConfigV2 {
  if (options.format !== 1 && options.format !== 2) throw new RangeError(`no factory configuration for format ${options.format}`);
  const random = randomFor(`${options.model}/${options.serial}/${options.seed ?? 0}`);
  const defaults = new Defaults();
  const customerName = random.pick(customers);
  const customerId = `C-${String(100000 + random.int(900000))}`;
  const provider = random.pick(providers);
  const host = `iad-${options.serial.toLowerCase()}`.slice(0, 63).replace(/-+$/, '');

  const system = defaults.fill<SystemSection>('system', formatV1.sections.system.keys, {
    hostname: host,
    location: random.pick(cities),
    contact: `noc@${provider}`,
    ...(random.chance(0.7) ? { timezone: 'Europe/Berlin' } : {}),
    ...(random.chance(0.3) ? { syslog_server: `syslog.${provider}:514` } : {}),
  });
  const managementNet = `10.${64 + random.int(64)}.${random.int(256)}`;
  const management = defaults.fill<ManagementSection>('management', formatV1.sections.management.keys, {
    vlan: random.pick([100, 200, 999, 4000]),
    address: `${managementNet}.${2 + random.int(250)}/24`,
    gateway: `${managementNet}.1`,
    ...(random.chance(0.5) ? { web_ui: false } : {}),
  });
  const snmp = defaults.fill<SnmpSection>('snmp', formatV1.sections.snmp.keys, {
    user: 'iadms',
    auth_password: random.secret(16),
    priv_password: random.secret(16),
    trap_target: `${managementNet}.1:162`,
  });
  const ntp = defaults.fill<NtpSection>('ntp', formatV1.sections.ntp.keys, random.chance(0.5) ? { servers: [`ntp.${provider}`] } : {});
  const customer = defaults.fill<CustomerSection>('customer', formatV1.sections.customer.keys, {
    name: customerName,
    id: customerId,
    ...(random.chance(0.5) ? { contract: `VoIP Business ${random.pick(['S', 'M', 'L'])}` } : {}),
  });
  const users: UserEntry[] = [{ name: 'admin', role: 'admin', password_hash: passwordHash(random.secret(12), random.secret(16)) }];
  if (random.chance(0.5)) users.push({ name: 'support', role: 'operator', password_hash: passwordHash(random.secret(12), random.secret(16)) });

  const portCount = fxsPortsByModel[options.model] ?? 4;
  const inUse = 1 + random.int(portCount);
  const area = random.pick(areaCodes);
  const firstNumber = 1000000 + random.int(8000000);
  const faxPort = inUse > 1 && random.chance(0.4) ? inUse : undefined;
  const ports: PortFacts[] = Array.from({ length: portCount }, (_, index) => {
    const port = index + 1;
    if (port > inUse) return { port, enabled: false };
    const number = `+49${area}${firstNumber + index}`;
    const fax = port === faxPort;
    return {
      port,
      enabled: true,
      number,
      user: number.slice(1),
      password: random.secret(12),
      displayName: fax ? 'Fax' : customerName.slice(0, 64),
      ...(fax ? { codecs: ['PCMA', 'PCMU'] as CodecV1[], echoCancel: false } : random.chance(0.2) ? { codecs: ['G722', 'PCMA'] as CodecV1[] } : {}),
      ...(random.chance(0.15) ? { txGain: -3 } : {}),
    };
  });
  const sip: SipFacts = {
    registrar: provider,
    ...(random.chance(0.3) ? { proxy: `proxy.${provider}` } : {}),
    ...(random.chance(0.4) ? { outboundProxy: `sbc.${provider}:5060` } : {}),
    ...(random.chance(0.3) ? { transport: random.pick(['tcp', 'tls'] as const) } : {}),
    ...(random.chance(0.3) ? { registerExpires: random.pick([600, 1800]) } : {}),
    ...(random.chance(0.2) ? { dtmf: random.pick(['inband', 'info'] as const) } : {}),
  };

  const voiceVlan = random.pick([10, 20, 30]);
  const vlans: VlanEntry[] = [
    { purpose: 'data', id: voiceVlan + 100, priority: 0 },
    { purpose: 'voice', id: voiceVlan, priority: 5 },
  ];
  const pppoe = random.chance(0.6);
  const wan = defaults.fill<WanSection>(
    'wan',
    formatV1.sections.wan.keys,
    pppoe ? { mode: 'pppoe', vlan: 7, pppoe_user: `${customerId.toLowerCase()}@${provider}`, pppoe_password: random.secret(12), mtu: 1492 } : {},
  );
  const lanNet = random.chance(0.5) ? '192.168.1' : `192.168.${10 + random.int(200)}`;
  const lan = defaults.fill<LanSection>('lan', formatV1.sections.lan.keys, {
    ...(lanNet === '192.168.1' ? {} : { address: `${lanNet}.1/24` }),
    dhcp_start: `${lanNet}.100`,
    dhcp_end: `${lanNet}.199`,
  });
  const qos = defaults.fill<QosSection>('qos', formatV1.sections.qos.keys, random.chance(0.5) ? { uplink_kbps: random.pick([2400, 10000, 40000]) } : {});
  const common = { model: options.model, serial: options.serial, system, management, snmp, ntp, customer, users, vlans, wan, lan, qos };

  if (options.format === 1) {
    const config: DeviceConfigV1 = {
      format: 1,
      ...common,
      sip: sipV1(defaults, sip),
      ports: ports.map((port) => portV1(defaults, port)),
      defaulted: defaults.defaulted,
    };
    return withSortedDefaults(config);
  }
  const accounts: SipAccountV2[] = ports.flatMap((port) =>
    port.user === undefined || port.password === undefined
      ? []
      : [{ account: port.port, user: port.user, password: port.password, ...(port.displayName === undefined ? {} : { display_name: port.displayName }) }],
  );
  const sessionExpires = random.chance(0.2) ? { session_expires_s: 900 } : {};
  const config: DeviceConfigV2 = {
    format: 2,
    ...common,
    sip: sipV2(defaults, sip, sessionExpires),
    sip_accounts: accounts,
    fxs: ports.map((port) => portV2(defaults, port)),
    defaulted: defaults.defaulted,
  };
  return withSortedDefaults(config);
}

function withSortedDefaults<C extends { defaulted: string[] }>(config: C): C {
  config.defaulted.sort();
  return config;
}

function passwordHash(password: string, salt: string): string {
  return `$sha256$${salt}$${createHash('sha256').update(`${salt}${password}`).digest('hex')}`;
}

function sipV1(defaults: Defaults, sip: SipFacts): SipV1 {
  return defaults.fill<SipV1>('sip', formatV1.sections.sip.keys, {
    registrar: sip.registrar,
    proxy: sip.proxy,
    outbound_proxy: sip.outboundProxy,
    transport: sip.transport,
    register_expires: sip.registerExpires,
    dtmf: sip.dtmf,
  });
}

function sipV2(defaults: Defaults, sip: SipFacts, extra: Partial<SipV2>): SipV2 {
  return defaults.fill<SipV2>('sip', formatV2.sections.sip.keys, {
    registrar: sip.registrar,
    proxy: sip.proxy,
    outbound_proxy: sip.outboundProxy,
    transport: sip.transport,
    register_expires: sip.registerExpires,
    dtmf_mode: sip.dtmf === undefined ? undefined : dtmfModeFromV1[sip.dtmf],
    ...extra,
  });
}

function portV1(defaults: Defaults, port: PortFacts): FxsPortV1 {
  const entry = defaults.fill<Omit<FxsPortV1, 'port'>>(`port ${port.port}`, formatV1.sections.ports.keys, {
    enabled: port.enabled ? undefined : false,
    number: port.number,
    sip_user: port.user,
    sip_password: port.password,
    sip_display_name: port.displayName,
    codecs: port.codecs,
    echo_cancel: port.echoCancel,
    gain_tx: port.txGain,
  });
  return { port: port.port, ...entry };
}

function portV2(defaults: Defaults, port: PortFacts): FxsPortV2 {
  const entry = defaults.fill<Omit<FxsPortV2, 'port'>>(`fxs ${port.port}`, formatV2.sections.fxs.keys, {
    enabled: port.enabled ? undefined : false,
    number: port.number,
    account: port.user === undefined ? undefined : port.port,
    codecs: port.codecs?.map((codec) => ({ codec: codecNameFromV1[codec], ptime_ms: 20 })),
    echo_canceller: port.echoCancel,
    tx_gain_db: port.txGain,
  });
  return { port: port.port, ...entry };
}
