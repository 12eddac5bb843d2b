// Who may talk to whom: SNMPv3 USM users (authPriv, HMAC-SHA-256 + AES-128 by default) or v2c communities.

/** A USM user with authPriv keys (pass phrases; Net-SNMP's tools require at least 8 characters). */
export interface UsmUser {
  name: string;
  authKey: string;
  privKey: string;
}

/** How one side authenticates: SNMPv3 with a user, or v2c with a community. */
export type SnmpSecurity = { version: 'v3'; user: UsmUser } | { version: 'v2c'; community: string };

/** The shortest pass phrase RFC 3414 allows and Net-SNMP enforces. */
export const minimumKeyLength = 8;

export function checkUsmUser(user: UsmUser): void {
  if (!user.name) throw new Error('SNMPv3 user name is empty');
  for (const [what, key] of [
    ['auth', user.authKey],
    ['priv', user.privKey],
  ] as const) {
    if (key.length < minimumKeyLength) {
      throw new Error(`SNMPv3 ${what} key of user ${user.name} is shorter than ${minimumKeyLength} characters`);
    }
  }
}

/** The options Net-SNMP's command-line tools need for the same security, e.g. for messages to operators. */
export function netSnmpToolArguments(security: SnmpSecurity): string[] {
  if (security.version === 'v2c') return ['-v2c', '-c', security.community];
  const { name, authKey, privKey } = security.user;
  return ['-v3', '-l', 'authPriv', '-u', name, '-a', 'SHA-256', '-A', authKey, '-x', 'AES', '-X', privKey];
}
