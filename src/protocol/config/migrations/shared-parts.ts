// What formats 1 and 2 hold identically: the header identity, the management, network and customer
// sections, and the [sip] keys of the same name. A step copies these verbatim (the schemas use the same section specs; the tests check that).
import type { DeviceConfigV1, DeviceConfigV2, SipV1, SipV2 } from '../../config.ts';
import type { DefaultedMarks } from './provenance.ts';

type CommonField = Exclude<keyof DeviceConfigV1 & keyof DeviceConfigV2, 'format' | 'defaulted'>;
/** The fields of the same name and the same type in both formats ([sip] has the same name, not the same keys). */
type SharedField = {
  [F in CommonField]: [DeviceConfigV1[F], DeviceConfigV2[F]] extends [DeviceConfigV2[F], DeviceConfigV1[F]] ? F : never;
}[CommonField];
export type SharedParts = Pick<DeviceConfigV1, SharedField>;

/** A deep copy, so that the converted configuration shares no object with its source. */
export function sharedParts(config: DeviceConfigV1 | DeviceConfigV2): SharedParts {
  const { model, serial, system, management, snmp, ntp, customer, users, vlans, wan, lan, qos } = config;
  return structuredClone({ model, serial, system, management, snmp, ntp, customer, users, vlans, wan, lan, qos });
}

/** The [sip] keys both formats name and type alike; each step renames or reshapes the others. */
const sameSipKeys = ['registrar', 'proxy', 'outbound_proxy', 'transport', 'local_port', 'register_expires', 'rtp_port_min', 'rtp_port_max'] as const;
type SameSipKey = (typeof sameSipKeys)[number];

/** The [sip] keys a step carries over unchanged, each with its defaulted mark. */
export function sameSipParts(sip: SipV1 | SipV2, marks: DefaultedMarks): Pick<SipV1 & SipV2, SameSipKey> {
  const carried: Partial<Record<SameSipKey, unknown>> = {};
  for (const key of sameSipKeys) carried[key] = marks.carry(`sip.${key}`, `sip.${key}`, sip[key]);
  return carried as Pick<SipV1 & SipV2, SameSipKey>;
}
