// The image reader (src/protocol/image*): every image a device or the manager is handed goes through it.
// Valid images are accepted with the header they were packed with; random bytes, mutations of a valid
// image, images signed by another key or for another model are refused with an ImageError that says why,
// and never anything else thrown.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ImageError, type ImageDescription, inspectImageHeader, packImage, readImage } from '../../src/protocol/image.ts';
import { seededKeyPair } from './keys.ts';
import { mutate, mutations } from './mutations.ts';
import { fuzzTarget } from './target.ts';

const vendor = seededKeyPair('vendor');
const stranger = seededKeyPair('stranger');
const trust = { trustedKeys: [vendor.publicKey] };

const name = (first: string, rest: string, max: number) =>
  fc.tuple(fc.constantFrom(...first), fc.string({ unit: fc.constantFrom(...rest), maxLength: max })).map(([head, tail]) => head + tail);
const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

const description: fc.Arbitrary<ImageDescription> = fc.record(
  {
    model: name(alnum, `${alnum}._-`, 63),
    version: name(alnum, `${alnum}.+_-`, 63),
    configFormat: fc.integer({ min: 1, max: 65535 }),
    rebootRequired: fc.boolean(),
    bootable: fc.boolean(),
    family: name('abcdefghijklmnopqrstuvwxyz', 'abcdefghijklmnopqrstuvwxyz0123456789-', 31),
  },
  { requiredKeys: ['model', 'version', 'configFormat'] },
);
const payload = fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes));

type ImageInput =
  | { kind: 'valid'; description: ImageDescription; payload: Buffer }
  | { kind: 'mutated'; description: ImageDescription; payload: Buffer; mutations: Parameters<typeof mutate>[1] }
  | { kind: 'random'; bytes: Buffer; withMagic: boolean }
  | { kind: 'stranger'; description: ImageDescription; payload: Buffer }
  | { kind: 'otherModel'; description: ImageDescription; payload: Buffer };

const input: fc.Arbitrary<ImageInput> = fc.oneof(
  fc.record({ kind: fc.constant('valid' as const), description, payload }),
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('mutated' as const), description, payload, mutations }) },
  fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)), withMagic: fc.boolean() }),
  fc.record({ kind: fc.constant('stranger' as const), description, payload }),
  fc.record({ kind: fc.constant('otherModel' as const), description, payload }),
) as fc.Arbitrary<ImageInput>;

function refusal(image: Buffer, options: Parameters<typeof readImage>[1]): ImageError {
  try {
    readImage(image, options);
  } catch (error) {
    assert.ok(error instanceof ImageError, `refused with ${String(error)} rather than an ImageError`);
    assert.ok(error.message.length >= 10, `refusal without a clear message: ${JSON.stringify(error.message)}`);
    return error;
  }
  assert.fail('an invalid image was accepted');
}

/** The header reader used by listings must fail the same way on what it cannot read. */
function inspectsOrRefuses(image: Buffer): void {
  try {
    inspectImageHeader(image);
  } catch (error) {
    assert.ok(error instanceof ImageError, `inspect threw ${String(error)} rather than an ImageError`);
  }
}

function check(value: ImageInput): void {
  if (value.kind === 'random') {
    const bytes = value.withMagic ? Buffer.concat([Buffer.from('SFIMG\x01'), value.bytes]) : value.bytes;
    inspectsOrRefuses(bytes);
    refusal(bytes, trust);
    return;
  }
  const image = packImage(value.description, value.payload, (value.kind === 'stranger' ? stranger : vendor).privateKey);
  if (value.kind === 'valid') {
    const read = readImage(image, { ...trust, model: value.description.model });
    assert.equal(read.header.model, value.description.model);
    assert.equal(read.header.version, value.description.version);
    assert.deepEqual(read.payload, value.payload);
    return;
  }
  if (value.kind === 'stranger') {
    assert.equal(refusal(image, trust).reason, 'untrustedKey');
    return;
  }
  if (value.kind === 'otherModel') {
    assert.equal(refusal(image, { ...trust, model: `${value.description.model}-X` }).reason, 'wrongModel');
    return;
  }
  const mutated = mutate(image, value.mutations);
  if (mutated.equals(image)) return;
  inspectsOrRefuses(mutated);
  refusal(mutated, trust);
}

export const imageTarget = fuzzTarget({
  name: 'image',
  description: 'valid, mutated, random, foreign-signed and other-model images through readImage',
  defaultInputs: 200_000,
  open: async () => undefined,
  property: () => fc.property(input, check),
  close: async () => {},
});
