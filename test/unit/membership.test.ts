// A manager's membership over a store that plays the database: it judges other managers silent only
// after reaching the database itself for as long as the verdict needs (after an outage every
// heartbeat is old, and no one is dead), and a manager declared dead is told to stop, once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkMembershipTiming, Membership, type MembershipOptions } from '../../src/manager/membership/membership.ts';

const timing = { heartbeatSeconds: 0.01, deadAfterSeconds: 0.05 };
const self = {
  executorId: 'manager-a',
  host: 'lab',
  pid: 1,
  endpoints: { notifications: { address: '127.0.0.1', port: 162 }, tftp: { address: '127.0.0.1', port: 69 }, ftp: { address: '127.0.0.1', port: 21 } },
};
const quiet = { info() {}, warn() {}, error() {} };

/** The managers table as this manager sees it: reachable or not, up or declared dead. */
class PlayedDatabase {
  reachable = true;
  up = true;
  lastUnreachableAt = Number.NEGATIVE_INFINITY;
  sweeps: number[] = [];
  stopped = 0;

  managers: MembershipOptions['managers'] = {
    register: async () => {},
    heartbeat: async () => {
      if (!this.reachable) {
        this.lastUnreachableAt = Date.now();
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      }
      return this.up;
    },
    stopped: async () => {
      this.stopped += 1;
    },
    takeOverSilent: async () => {
      this.sweeps.push(Date.now());
      return [];
    },
  };
}

test('no manager is judged silent before this one has reached the database for the whole verdict, at start and after an outage', async () => {
  const database = new PlayedDatabase();
  const startedAt = Date.now();
  const membership = await Membership.join({ managers: database.managers, self, timing, recover: async () => 0, onDeclaredDead: () => {}, log: quiet });
  try {
    await waitUntil(() => database.sweeps.length > 0);
    database.reachable = false;
    await waitUntil(() => database.lastUnreachableAt > startedAt);
    await sleep(30);
    const outageEnded = Date.now();
    database.reachable = true;
    await waitUntil(() => database.sweeps.some((at) => at > outageEnded));
    const deadAfterMs = timing.deadAfterSeconds * 1000;
    for (const at of database.sweeps) {
      assert.ok(at - startedAt >= deadAfterMs, 'a sweep before the manager had been up for the verdict');
      if (at > database.lastUnreachableAt) assert.ok(at - database.lastUnreachableAt >= deadAfterMs, 'a sweep right after the outage');
    }
  } finally {
    await membership.leave();
  }
  assert.equal(database.stopped, 1, 'a clean leave says so');
});

test('a manager declared dead by another is told to stop once, and sweeps no more', async () => {
  const database = new PlayedDatabase();
  let told = 0;
  const membership = await Membership.join({
    managers: database.managers,
    self,
    timing,
    recover: async () => 0,
    onDeclaredDead: () => {
      told += 1;
    },
    log: quiet,
  });
  database.up = false;
  await waitUntil(() => told > 0);
  const sweeps = database.sweeps.length;
  await membership.beat();
  await membership.beat();
  assert.equal(told, 1);
  assert.equal(database.sweeps.length, sweeps);
  await membership.leave();
});

test('timing: a verdict needs at least three heartbeats of silence', () => {
  assert.throws(() => checkMembershipTiming({ heartbeatSeconds: 5, deadAfterSeconds: 10 }), /at least three heartbeats/);
  assert.throws(() => checkMembershipTiming({ heartbeatSeconds: 0, deadAfterSeconds: 10 }), /positive/);
  assert.deepEqual(checkMembershipTiming({ heartbeatSeconds: 5, deadAfterSeconds: 15 }), { heartbeatSeconds: 5, deadAfterSeconds: 15 });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await sleep(10);
  assert.ok(condition(), 'the condition never held');
}
