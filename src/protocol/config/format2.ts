// Configuration format 2: the format of the 4.x software line. What changed from format 1:
// - "[port N]" became "[fxs N]"; echo_cancel -> echo_canceller, gain_tx/gain_rx -> tx_gain_db/rx_gain_db.
// - SIP credentials moved out of the port into "[sip.account N]" (user, password, display_name, and the new
//   optional auth_user); a port names its account with "account = N".
// - Codec lists are space-separated lower-case names with their packetization time: "g711a:20 g729:20"
//   (format 1: "PCMA,G729", always 20 ms). PCMA/PCMU are g711a/g711u.
// - [sip]: t1_ms/t2_ms -> timer_t1_ms/timer_t2_ms; dtmf -> dtmf_mode with rfc2833/info now written
//   rfc4733/sip-info; new required session_expires_s (RFC 4028 session timer, default 1800).
import type { CodecV1, SipV1 } from './format1.ts';
import { optional, repeated, required, single, type ConfigProvenance, type FormatSchema, type Problem } from './schema.ts';
import {
  closingSections,
  duplicateNumbers,
  gain,
  leadingSections,
  maxFxsPorts,
  rtpPort,
  sipTimingProblems,
  sharedRules,
  type CustomerSection,
  type LanSection,
  type ManagementSection,
  type NtpSection,
  type QosSection,
  type SnmpSection,
  type SystemSection,
  type UserEntry,
  type VlanEntry,
  type WanSection,
} from './shared-sections.ts';
import { flag, hostPort, integer, listOf, oneOf, phoneNumber, text, type ValueType } from './values.ts';

export const codecNamesV2 = ['g711a', 'g711u', 'g722', 'g729', 'g726-32'] as const;
export type CodecNameV2 = (typeof codecNamesV2)[number];
export const packetizationTimesMs = [10, 20, 30, 40] as const;

/** How format 1 names what format 2 renamed; the one table both directions of a migration use. */
export const codecNameFromV1: Record<CodecV1, CodecNameV2> = { PCMA: 'g711a', PCMU: 'g711u', G722: 'g722', G729: 'g729', 'G726-32': 'g726-32' };
export const dtmfModeFromV1: Record<SipV1['dtmf'], SipV2['dtmf_mode']> = { rfc2833: 'rfc4733', inband: 'inband', info: 'sip-info' };

export interface CodecV2 {
  codec: CodecNameV2;
  ptime_ms: (typeof packetizationTimesMs)[number];
}

export interface SipAccountV2 {
  account: number;
  user: string;
  /** The name to authenticate with when the provider's differs from the user part of the address. */
  auth_user?: string;
  password: string;
  display_name?: string;
}

export interface FxsPortV2 {
  port: number;
  enabled: boolean;
  number?: string;
  account?: number;
  /** In order of preference. */
  codecs: CodecV2[];
  echo_canceller: boolean;
  tx_gain_db: number;
  rx_gain_db: number;
}

export interface SipV2 {
  registrar: string;
  proxy?: string;
  outbound_proxy?: string;
  transport: 'udp' | 'tcp' | 'tls';
  local_port: number;
  register_expires: number;
  timer_t1_ms: number;
  timer_t2_ms: number;
  dtmf_mode: 'rfc4733' | 'inband' | 'sip-info';
  session_expires_s: number;
  rtp_port_min: number;
  rtp_port_max: number;
}

export interface DeviceConfigV2 extends ConfigProvenance {
  format: 2;
  model: string;
  serial: string;
  system: SystemSection;
  management: ManagementSection;
  snmp: SnmpSection;
  ntp: NtpSection;
  customer: CustomerSection;
  users: UserEntry[];
  sip: SipV2;
  sip_accounts: SipAccountV2[];
  fxs: FxsPortV2[];
  vlans: VlanEntry[];
  wan: WanSection;
  lan: LanSection;
  qos: QosSection;
}

const maxSipAccounts = 32;

const codecV2: ValueType<CodecV2> = {
  describe: `codec:ptime with codec one of ${codecNamesV2.join(', ')} and ptime one of ${packetizationTimesMs.join(', ')}`,
  parse: (raw) => {
    const match = /^([a-z0-9-]+):(\d+)$/.exec(raw);
    const codec = codecNamesV2.find((name) => name === match?.[1]);
    const ptime = packetizationTimesMs.find((ms) => String(ms) === match?.[2]);
    return codec && ptime ? { codec, ptime_ms: ptime } : undefined;
  },
  render: (value) => `${value.codec}:${value.ptime_ms}`,
};

export const sipSpecV2 = single<SipV2>('sip', {
  registrar: required(hostPort),
  proxy: optional(hostPort),
  outbound_proxy: optional(hostPort),
  transport: required(oneOf(['udp', 'tcp', 'tls']), { default: 'udp' }),
  local_port: required(integer(1, 65535), { default: 5060 }),
  register_expires: required(integer(60, 86400), { default: 3600 }),
  timer_t1_ms: required(integer(100, 5000), { default: 500 }),
  timer_t2_ms: required(integer(1000, 40000), { default: 4000 }),
  dtmf_mode: required(oneOf(['rfc4733', 'inband', 'sip-info']), { default: 'rfc4733' }),
  session_expires_s: required(integer(90, 86400), { default: 1800 }),
  rtp_port_min: required(rtpPort, { default: 10000 }),
  rtp_port_max: required(rtpPort, { default: 20000 }),
});

export const sipAccountSpecV2 = repeated<SipAccountV2, 'account'>({
  title: 'sip.account',
  labelField: 'account',
  label: integer(1, maxSipAccounts),
  keys: {
    user: required(text({ max: 64, pattern: /^[A-Za-z0-9._+-]+$/ })),
    auth_user: optional(text({ max: 64, pattern: /^[A-Za-z0-9._+-]+$/ })),
    password: required(text({ max: 64 }), { secret: true }),
    display_name: optional(text({ max: 64 })),
  },
  min: 0,
  max: maxSipAccounts,
});

export const fxsSpecV2 = repeated<FxsPortV2, 'port'>({
  title: 'fxs',
  labelField: 'port',
  label: integer(1, maxFxsPorts),
  keys: {
    enabled: required(flag, { default: true }),
    number: optional(phoneNumber),
    account: optional(integer(1, maxSipAccounts)),
    codecs: required(listOf(codecV2, { max: codecNamesV2.length, distinctBy: (entry) => entry.codec }), {
      default: [
        { codec: 'g711a', ptime_ms: 20 },
        { codec: 'g711u', ptime_ms: 20 },
        { codec: 'g729', ptime_ms: 20 },
      ],
    }),
    echo_canceller: required(flag, { default: true }),
    tx_gain_db: required(gain, { default: 0 }),
    rx_gain_db: required(gain, { default: 0 }),
  },
  min: 1,
  max: maxFxsPorts,
});

export const formatV2: FormatSchema<DeviceConfigV2> = {
  format: 2,
  summary: 'software 4.x: [sip.account N] sections, codec:ptime lists, SIP session timer',
  sections: {
    ...leadingSections,
    sip: sipSpecV2,
    sip_accounts: sipAccountSpecV2,
    fxs: fxsSpecV2,
    ...closingSections,
  },
  rules(config) {
    const { sip } = config;
    const problems: Problem[] = [...sharedRules(config), ...sipTimingProblems(sip.timer_t1_ms, sip.timer_t2_ms, sip, 'timer_t1_ms', 'timer_t2_ms')];
    const accounts = new Set(config.sip_accounts.map((account) => account.account));
    const usedBy = new Map<number, number>();
    for (const port of config.fxs) {
      const section = `fxs ${port.port}`;
      if (port.enabled && port.number === undefined) problems.push({ section, key: 'number', message: 'required on an enabled port' });
      if (port.enabled && port.account === undefined) problems.push({ section, key: 'account', message: 'required on an enabled port' });
      if (port.account === undefined) continue;
      if (!accounts.has(port.account)) problems.push({ section, key: 'account', message: `there is no [sip.account ${port.account}]` });
      const other = usedBy.get(port.account);
      if (other !== undefined) problems.push({ section, key: 'account', message: `sip.account ${port.account} already belongs to fxs ${other}` });
      else usedBy.set(port.account, port.port);
    }
    return [...problems, ...duplicateNumbers(config.fxs, 'fxs')];
  },
};
