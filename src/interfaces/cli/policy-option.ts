// --policy on the command line: "retry=2,then=ask,backoff=5" for every phase, "upgrade.retry=0" for
// one. The manager completes what is left out with its defaults and checks the result.
import { InvalidArgumentError } from 'commander';
import { policyPhases, type PolicyRequest } from '../../manager/procedure/policy.ts';
import type { PhasePolicy } from '../../manager/store/records.ts';

const keys: Record<string, keyof PhasePolicy> = { retry: 'retries', retries: 'retries', backoff: 'backoffSeconds', then: 'then' };

export const policySyntax = 'KEY=VALUE,... with keys retry (count), backoff (seconds), then (ask|abort), each optionally PHASE.KEY';

export function parsePolicy(text: string): PolicyRequest {
  const policy: PolicyRequest = {};
  for (const item of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const match = /^(?:([a-z]+)\.)?([a-z]+)=(.+)$/.exec(item);
    if (!match) throw new InvalidArgumentError(`"${item}": expected ${policySyntax}`);
    const [, phase, key, value] = match as unknown as [string, string | undefined, string, string];
    const field = keys[key];
    if (!field) throw new InvalidArgumentError(`"${item}": unknown key ${key}; keys are retry, backoff, then`);
    if (phase !== undefined && !(policyPhases as readonly string[]).includes(phase)) {
      throw new InvalidArgumentError(`"${item}": unknown phase ${phase}; phases are ${policyPhases.join(', ')}`);
    }
    let parsed: number | 'ask' | 'abort';
    if (field === 'then') {
      if (value !== 'ask' && value !== 'abort') throw new InvalidArgumentError(`"${item}": then is ask or abort`);
      parsed = value;
    } else {
      parsed = Number(value);
      if (!/^[0-9]+(\.[0-9]+)?$/.test(value) || (field === 'retries' && !Number.isInteger(parsed))) {
        throw new InvalidArgumentError(`"${item}": ${key} is a ${field === 'retries' ? 'whole number' : 'number of seconds'}`);
      }
    }
    for (const p of phase ? [phase as (typeof policyPhases)[number]] : policyPhases) {
      policy[p] = { ...policy[p], [field]: parsed };
    }
  }
  return policy;
}
