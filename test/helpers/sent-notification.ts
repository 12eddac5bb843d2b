// The datagram our session sends for one notification, caught on a loopback socket of the test's own:
// for tests that take a real inform or trap apart, change it, or send it again by hand.
import dgram from 'node:dgram';
import type { SnmpSecurity } from '../../src/protocol/snmp/security.ts';
import { SnmpSession } from '../../src/protocol/snmp/session.ts';
import type { Varbind } from '../../src/protocol/snmp/varbind.ts';

export async function sentNotification(kind: 'inform' | 'trap', security: SnmpSecurity, notification: string, varbinds: Varbind[]): Promise<Buffer> {
  const catcher = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => catcher.bind(0, '127.0.0.1', resolve));
  const caught = new Promise<Buffer>((resolve) => catcher.once('message', resolve));
  const session = new SnmpSession({ peer: { address: '127.0.0.1', port: catcher.address().port }, security, timeoutMs: 100, retries: 0 });
  // Nobody acknowledges the inform: the session gives up after its timeout, which is no failure here.
  const sending = kind === 'inform' ? session.inform(notification, varbinds, 4200) : session.trap(notification, varbinds, 4200);
  try {
    return await caught;
  } finally {
    await sending.catch(() => undefined);
    session.close();
    catcher.close();
  }
}
