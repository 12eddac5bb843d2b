// Configuration format 1: the format of the 3.x software line.
// SIP credentials live in the FXS port sections ("[port N]"); codec lists are comma-separated
// upper-case names with the packetization time fixed at 20 ms.
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
import { flag, hostPort, integer, listOf, oneOf, phoneNumber, text } from './values.ts';

export const codecsV1 = ['PCMA', 'PCMU', 'G722', 'G729', 'G726-32'] as const;
export type CodecV1 = (typeof codecsV1)[number];

export interface FxsPortV1 {
  port: number;
  enabled: boolean;
  number?: string;
  sip_user?: string;
  sip_password?: string;
  sip_display_name?: string;
  /** In order of preference. */
  codecs: CodecV1[];
  echo_cancel: boolean;
  /** dB towards the line (tx) and from it (rx). */
  gain_tx: number;
  gain_rx: number;
}

export interface SipV1 {
  registrar: string;
  proxy?: string;
  outbound_proxy?: string;
  transport: 'udp' | 'tcp' | 'tls';
  local_port: number;
  register_expires: number;
  /** RFC 3261 timers T1 and T2. */
  t1_ms: number;
  t2_ms: number;
  dtmf: 'rfc2833' | 'inband' | 'info';
  rtp_port_min: number;
  rtp_port_max: number;
}

export interface DeviceConfigV1 extends ConfigProvenance {
  format: 1;
  model: string;
  serial: string;
  system: SystemSection;
  management: ManagementSection;
  snmp: SnmpSection;
  ntp: NtpSection;
  customer: CustomerSection;
  users: UserEntry[];
  sip: SipV1;
  ports: FxsPortV1[];
  vlans: VlanEntry[];
  wan: WanSection;
  lan: LanSection;
  qos: QosSection;
}

export const sipSpecV1 = single<SipV1>('sip', {
  registrar: required(hostPort),
  proxy: optional(hostPort),
  outbound_proxy: optional(hostPort),
  transport: required(oneOf(['udp', 'tcp', 'tls']), { default: 'udp' }),
  local_port: required(integer(1, 65535), { default: 5060 }),
  register_expires: required(integer(60, 86400), { default: 3600 }),
  t1_ms: required(integer(100, 5000), { default: 500 }),
  t2_ms: required(integer(1000, 40000), { default: 4000 }),
  dtmf: required(oneOf(['rfc2833', 'inband', 'info']), { default: 'rfc2833' }),
  rtp_port_min: required(rtpPort, { default: 10000 }),
  rtp_port_max: required(rtpPort, { default: 20000 }),
});

export const portSpecV1 = repeated<FxsPortV1, 'port'>({
  title: 'port',
  labelField: 'port',
  label: integer(1, maxFxsPorts),
  keys: {
    enabled: required(flag, { default: true }),
    number: optional(phoneNumber),
    sip_user: optional(text({ max: 64, pattern: /^[A-Za-z0-9._+-]+$/ })),
    sip_password: optional(text({ max: 64 }), { secret: true }),
    sip_display_name: optional(text({ max: 64 })),
    codecs: required(listOf(oneOf(codecsV1), { max: codecsV1.length, separator: ',', distinctBy: (codec) => codec }), {
      default: ['PCMA', 'PCMU', 'G729'],
    }),
    echo_cancel: required(flag, { default: true }),
    gain_tx: required(gain, { default: 0 }),
    gain_rx: required(gain, { default: 0 }),
  },
  min: 1,
  max: maxFxsPorts,
});

export const formatV1: FormatSchema<DeviceConfigV1> = {
  format: 1,
  summary: 'software 3.x: SIP accounts inside [port N], comma-separated codec names',
  sections: {
    ...leadingSections,
    sip: sipSpecV1,
    ports: portSpecV1,
    ...closingSections,
  },
  rules(config) {
    const problems: Problem[] = [...sharedRules(config), ...sipTimingProblems(config.sip.t1_ms, config.sip.t2_ms, config.sip, 't1_ms', 't2_ms')];
    for (const port of config.ports) {
      if (!port.enabled) continue;
      for (const key of ['number', 'sip_user', 'sip_password'] as const) {
        if (port[key] === undefined) problems.push({ section: `port ${port.port}`, key, message: 'required on an enabled port' });
      }
    }
    return [...problems, ...duplicateNumbers(config.ports, 'port')];
  },
};
