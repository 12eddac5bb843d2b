// What formats 1 and 2 hold identically: the header identity and the management, network and customer
// sections. A step copies these verbatim (the schemas use the same section specs; the tests check that).
import type { DeviceConfigV1, DeviceConfigV2 } from '../../protocol/config.ts';

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
