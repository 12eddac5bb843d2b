// What a virtual fleet uses when nothing else is said: port 16100 (161 needs root; every device has its
// own address, so they all share one port), state in ./data/agent, and the SNMPv3 user "safeflash" with
// authPriv SHA-256/AES and well-known keys, printed at start: change them anywhere that is not a laboratory.
export const agentDefaults = {
  devices: 1,
  baseAddress: '127.0.1.1',
  port: 16100,
  stateDir: './data/agent',
  model: 'IAD-2400',
  user: 'safeflash',
  authKey: 'safeflash-auth',
  privKey: 'safeflash-priv',
  rebootMs: 2000,
} as const;
