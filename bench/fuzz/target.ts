// What a fuzz target is: something that opens what it attacks (a parser needs nothing, a server is started
// on loopback), a fast-check property over one input at a time, and a close. The bench and the test suite
// run the same targets, so a failure the bench finds is replayed by the same code the tests run.
import type fc from 'fast-check';

export interface FuzzTarget<Context = unknown> {
  name: string;
  /** One line: what the inputs are and what must hold for each. */
  description: string;
  /** Inputs a bench round tries by default: pure parsers take many, network targets fewer. */
  defaultInputs: number;
  open(): Promise<Context>;
  /** The property; it fails by throwing (or rejecting) with a message that names the broken rule. */
  property(context: Context): fc.IRawProperty<unknown[]>;
  close(context: Context): Promise<void>;
}

/** Declares a target with its context type checked, then erases it for the registry. */
export function fuzzTarget<Context>(target: FuzzTarget<Context>): FuzzTarget {
  return target as unknown as FuzzTarget;
}
