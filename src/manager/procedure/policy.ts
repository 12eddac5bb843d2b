// A run's failure policy: what the operator asked for, completed with the defaults and checked, so that
// a run never starts with a policy it cannot follow.
import { defaultPhasePolicy, type PhasePolicy, type RunPolicy } from '../store/records.ts';

export const policyPhases = ['preflight', 'backup', 'upgrade', 'migrate', 'restore'] as const satisfies ReadonlyArray<keyof RunPolicy>;

/** Retries a phase may be given: enough for any real need, few enough that a run always ends. */
export const maxRetries = 20;
/** Longest backoff before a retry (and the cap of the doubling backoff), in seconds: one day. */
export const maxBackoffSeconds = 86_400;

export class PolicyError extends Error {
  override name = 'PolicyError';
}

export type PolicyRequest = Partial<Record<keyof RunPolicy, Partial<PhasePolicy>>>;

/** The full policy: every phase the operator left out, or a field of it, takes the default. */
export function resolvePolicy(request: PolicyRequest = {}, defaults: PhasePolicy = defaultPhasePolicy): RunPolicy {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) throw new PolicyError('a policy is an object keyed by phase');
  const unknownPhases = Object.keys(request).filter((phase) => !(policyPhases as readonly string[]).includes(phase));
  if (unknownPhases.length > 0) throw new PolicyError(`policy for unknown phase ${unknownPhases.join(', ')}; phases: ${policyPhases.join(', ')}`);
  const policy = {} as RunPolicy;
  for (const phase of policyPhases) policy[phase] = checkPhasePolicy(phase, { ...defaults, ...request[phase] });
  return policy;
}

function checkPhasePolicy(phase: string, policy: Record<string, unknown>): PhasePolicy {
  const unknownFields = Object.keys(policy).filter((field) => !['retries', 'backoffSeconds', 'then'].includes(field));
  if (unknownFields.length > 0) throw new PolicyError(`${phase} policy: unknown field ${unknownFields.join(', ')} (retries, backoffSeconds, then)`);
  const { retries, backoffSeconds, then } = policy;
  if (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 0 || retries > maxRetries) {
    throw new PolicyError(`${phase} policy: retries must be a whole number from 0 to ${maxRetries}, got ${JSON.stringify(retries)}`);
  }
  if (typeof backoffSeconds !== 'number' || !Number.isFinite(backoffSeconds) || backoffSeconds < 0 || backoffSeconds > maxBackoffSeconds) {
    throw new PolicyError(`${phase} policy: backoffSeconds must be from 0 to ${maxBackoffSeconds}, got ${JSON.stringify(backoffSeconds)}`);
  }
  if (then !== 'ask' && then !== 'abort') throw new PolicyError(`${phase} policy: then must be "ask" or "abort", got ${JSON.stringify(then)}`);
  return { retries, backoffSeconds, then };
}
