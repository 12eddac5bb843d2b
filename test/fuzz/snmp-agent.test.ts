import { test } from 'node:test';
import { snmpAgentTarget } from '../../bench/fuzz/snmp-agent.ts';
import { assertCleanRound } from '../helpers/fuzz-round.ts';

test('snmp-agent: 300 seeded poisoned SETs and datagrams to a real agent, no failure', async () => {
  await assertCleanRound(snmpAgentTarget, 300);
});
