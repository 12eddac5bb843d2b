// Sessions kept between a manager's requests: one per device and security, reused while lent or
// recently used, closed when idle, and still good after the device's agent restarted (a reboot).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DeviceAgent } from '../../src/agent/snmp/device-agent.ts';
import { oid } from '../../src/protocol/mib.ts';
import { SnmpSessionPool } from '../../src/protocol/snmp/session-pool.ts';
import { bufferValue } from '../../src/protocol/snmp/varbind.ts';
import { pollFor, startSnmpDevice, testCommunity, testUser, v2c, v3, type SnmpDevice } from '../helpers/snmp-device.ts';

const model = `${oid('sfDeviceModel')}.0`;

describe('SNMP session pool against a real agent', () => {
  let bench: SnmpDevice;
  let pool: SnmpSessionPool;

  before(async () => {
    bench = await startSnmpDevice();
    pool = new SnmpSessionPool({ idleMs: 300 });
  });
  after(async () => {
    pool.close();
    await bench.close();
  });

  const options = (security = v3) => ({ peer: bench.endpoint, security, timeoutMs: 500, retries: 2 });

  test('the same device and security share one session; another security has its own', async () => {
    const first = pool.lease(options());
    const second = pool.lease(options());
    const community = pool.lease(options(v2c));
    try {
      assert.equal(first.session, second.session);
      assert.notEqual(first.session, community.session);
      for (const lease of [first, second, community]) {
        assert.equal(bufferValue((await lease.session.get([model]))[0]!).toString(), 'IAD-2400');
      }
    } finally {
      first.release();
      second.release();
      community.release();
    }
    const again = pool.lease(options());
    assert.equal(again.session, first.session, 'a session released a moment ago is lent again');
    again.release();
  });

  test('a kept SNMPv3 session still answers after the agent restarted on the same address', async () => {
    const lease = pool.lease(options());
    try {
      await lease.session.get([model]);
      await bench.agent.stop();
      bench.agent = await DeviceAgent.start({
        device: bench.device,
        address: bench.endpoint.address,
        port: bench.endpoint.port,
        users: [testUser],
        communities: [testCommunity],
        notifySecurity: v3,
        dropNotifications: () => 0,
      });
      assert.equal(bufferValue((await lease.session.get([model]))[0]!).toString(), 'IAD-2400');
    } finally {
      lease.release();
    }
  });

  test('an idle session is closed and the next lease opens a new one', async () => {
    const lease = pool.lease(options());
    const kept = lease.session;
    lease.release();
    await pollFor(async () => (kept.broken ? true : undefined), 100, 50);
    const next = pool.lease(options());
    try {
      assert.notEqual(next.session, kept);
      assert.equal(bufferValue((await next.session.get([model]))[0]!).toString(), 'IAD-2400');
    } finally {
      next.release();
    }
  });

  test('beyond its size the pool closes the longest idle sessions, never a lent one', async () => {
    const small = new SnmpSessionPool({ maxSessions: 2 });
    try {
      const lent = small.lease(options());
      const idle = [1, 2, 3].map((retries) => {
        const lease = small.lease({ ...options(), retries });
        lease.release();
        return lease.session;
      });
      assert.ok(small.size <= 2, `${small.size} sessions kept`);
      assert.equal(lent.session.broken, false);
      assert.equal(idle[0]!.broken, true, 'the longest idle went first');
      assert.equal(bufferValue((await lent.session.get([model]))[0]!).toString(), 'IAD-2400');
      lent.release();
    } finally {
      small.close();
    }
    assert.throws(() => small.lease(options()), /closed/);
  });
});
