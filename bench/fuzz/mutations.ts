// Byte-level mutations of a valid input, as a fuzzer applies them: each keeps the input mostly intact so
// that it reaches past the first checks (magic, header, lengths) into the deeper ones.
import fc from 'fast-check';

export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number };

/** Positions are fractions of the input's length, so one mutation fits any input. */
const position = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position.map(share), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: position.map(share), value: fc.constantFrom(0, 0x20, 0x22, 0x7b, 0x7d, 0x0a, 0x80, 0xff) }),
  fc.record({ kind: fc.constant('truncate' as const), at: position.map(share) }),
  fc.record({ kind: fc.constant('insert' as const), at: position.map(share), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: position.map(share), length: fc.integer({ min: 1, max: 32 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: position.map(share), length: fc.integer({ min: 1, max: 64 }) }),
) as fc.Arbitrary<Mutation>;

// Stored as a share of a million: an integer keeps counterexamples readable and replay exact.
function share(fraction: number): number {
  return Math.floor(fraction * 1_000_000);
}

export function mutate(input: Buffer, mutations: readonly Mutation[]): Buffer {
  let bytes = Buffer.from(input);
  for (const m of mutations) {
    const at = Math.floor((m.at / 1_000_000) * bytes.length);
    switch (m.kind) {
      case 'flip':
        if (bytes.length > 0) bytes[at] = bytes[at]! ^ (1 << m.bit);
        break;
      case 'set':
        if (bytes.length > 0) bytes[at] = m.value;
        break;
      case 'truncate':
        bytes = bytes.subarray(0, at);
        break;
      case 'insert':
        bytes = Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
        break;
      case 'delete':
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.length)]);
        break;
      case 'duplicate':
        bytes = Buffer.concat([bytes.subarray(0, at + m.length), bytes.subarray(at)]);
        break;
    }
  }
  return bytes;
}

/** One to four mutations: enough to break a structure, few enough to leave most of it. */
export const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 });

/** Mutations of text, line by line: what an operator's editor or a broken transfer does to a file. */
export type TextMutation =
  | { kind: 'dropLine'; at: number }
  | { kind: 'duplicateLine'; at: number }
  | { kind: 'replaceLine'; at: number; line: string }
  | { kind: 'insertLine'; at: number; line: string }
  | { kind: 'bytes'; mutation: Mutation };

const lineText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('[', ']', '[system]', 'key = value', '=', ' = ', '#', '!', 'interface', ' ', '\t', 'end', 'return', '#!safeflash-config 99'),
);

export const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.record({ kind: fc.constant('dropLine' as const), at: position.map(share) }),
  fc.record({ kind: fc.constant('duplicateLine' as const), at: position.map(share) }),
  fc.record({ kind: fc.constant('replaceLine' as const), at: position.map(share), line: lineText }),
  fc.record({ kind: fc.constant('insertLine' as const), at: position.map(share), line: lineText }),
  fc.record({ kind: fc.constant('bytes' as const), mutation }),
) as fc.Arbitrary<TextMutation>;

export const textMutations = fc.array(textMutation, { minLength: 1, maxLength: 4 });

export function mutateText(input: string, list: readonly TextMutation[]): string {
  let text = input;
  for (const m of list) {
    if (m.kind === 'bytes') {
      text = mutate(Buffer.from(text, 'utf8'), [m.mutation]).toString('utf8');
      continue;
    }
    const lines = text.split('\n');
    const at = Math.floor((m.at / 1_000_000) * lines.length);
    if (m.kind === 'dropLine') lines.splice(at, 1);
    else if (m.kind === 'duplicateLine') lines.splice(at, 0, lines[at] ?? '');
    else if (m.kind === 'replaceLine') lines.splice(at, 1, m.line);
    else lines.splice(at, 0, m.line);
    text = lines.join('\n');
  }
  return text;
}
