// A USM user as net-snmp holds it. Apart from security.ts so that what only checks users and
// options (the CLI, the inventory) does not load net-snmp.
import snmp from 'net-snmp';
import type { User } from 'net-snmp';
import { localizeKeysOncePerPassPhrase } from './key-localization.ts';
import type { UsmUser } from './security.ts';

/** net-snmp's user record: authPriv, SHA-256 authentication, AES-128 privacy. */
export function netSnmpUser(user: UsmUser): User {
  // Before net-snmp localizes this user's keys for the engines it meets: a Ku per pass phrase, not per engine.
  localizeKeysOncePerPassPhrase();
  return {
    name: user.name,
    level: snmp.SecurityLevel.authPriv,
    authProtocol: snmp.AuthProtocols.sha256,
    authKey: user.authKey,
    privProtocol: snmp.PrivProtocols.aes,
    privKey: user.privKey,
  };
}
